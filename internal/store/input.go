package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// InputError is a bad argument to an operation on the store, with a hint
// saying what to give instead.
type InputError struct {
	Msg string
	Fix string // what to give instead; "" when Msg says it all
}

func (e *InputError) Error() string { return e.Msg }

// Hint says what to give instead.
func (e *InputError) Hint() string { return e.Fix }

// Usage reports that the mistake is in how the operation was called.
func (e *InputError) Usage() bool { return true }

// CheckAdd checks the arguments of adding the tree at source under name
// with inputs (KEY=VALUE). It returns source with symlinks resolved (a
// symlink naming the tree is followed; links inside it never are) and the
// inputs as a map (nil for none). Mistakes are InputErrors.
func CheckAdd(name, source string, inputs []string) (string, map[string]string, error) {
	if err := ValidName(name); err != nil {
		return "", nil, &InputError{Msg: err.Error()}
	}
	var in map[string]string
	for _, kv := range inputs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return "", nil, &InputError{Msg: fmt.Sprintf("--input %q: no KEY=", kv), Fix: "write inputs as --input KEY=VALUE"}
		}
		if in == nil {
			in = map[string]string{}
		}
		in[k] = v
	}
	fi, err := os.Stat(source)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, &InputError{Msg: fmt.Sprintf("source %s does not exist", source), Fix: "check the path given to --source"}
	}
	if err != nil {
		return "", nil, err
	}
	if !fi.IsDir() {
		return "", nil, &InputError{Msg: fmt.Sprintf("source %s is not a directory", source), Fix: "the store holds directory trees; put the file in a directory"}
	}
	src, err := filepath.EvalSymlinks(source)
	return src, in, err
}
