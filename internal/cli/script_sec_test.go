package cli

import (
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdDeepYAML writes a hostile YAML file for the security scripts:
//
//	deepyaml FILE PREFIX brackets|dashes N
//
// writes PREFIX (with \n for newlines) followed by N '[' and N ']', or by
// N "- " and an "x".
func cmdDeepYAML(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: deepyaml FILE PREFIX brackets|dashes N")
	}
	n, err := strconv.Atoi(args[3])
	ts.Check(err)
	body := strings.ReplaceAll(args[1], `\n`, "\n")
	switch args[2] {
	case "brackets":
		body += strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
	case "dashes":
		body += strings.Repeat("- ", n) + "x\n"
	default:
		ts.Fatalf("deepyaml: unknown kind %q", args[2])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(body), 0o644))
}
