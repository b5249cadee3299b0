package cli

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Registry script commands, registered in scriptCmds:
//
//	waitfile FILE [VAR]  wait (bounded) until FILE exists and is not empty —
//	                     a background server writes it once listening — and
//	                     set VAR to its trimmed contents.
//	tamper DIR           append a byte to every file below DIR (a registry's
//	                     stored tarballs), as an attacker with storage access.

func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile FILE [VAR]")
	}
	file := ts.MkAbs(args[0])
	// Poll with short waits; give up after 30 s so that a server that
	// never starts fails the script instead of hanging it.
	for i := 0; i < 1500; i++ {
		data, err := os.ReadFile(file)
		if err == nil && len(strings.TrimSpace(string(data))) > 0 {
			if len(args) == 2 {
				ts.Setenv(args[1], strings.TrimSpace(string(data)))
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("waitfile: %s did not appear within 30 s", args[0])
}

func cmdTamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tamper DIR")
	}
	n := 0
	err := filepath.WalkDir(ts.MkAbs(args[0]), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if err := os.Chmod(p, 0o644); err != nil {
			return err
		}
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		n++
		_, err = f.Write([]byte{0})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	ts.Check(err)
	if n == 0 {
		ts.Fatalf("tamper: no files below %s", args[0])
	}
}
