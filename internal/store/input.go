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
	Msg  string
	Hint string
}

func (e *InputError) Error() string { return e.Msg }

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
			return "", nil, &InputError{fmt.Sprintf("--input %q: no KEY=", kv), "write inputs as --input KEY=VALUE"}
		}
		if in == nil {
			in = map[string]string{}
		}
		in[k] = v
	}
	fi, err := os.Stat(source)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, &InputError{fmt.Sprintf("source %s does not exist", source), "check the path given to --source"}
	}
	if err != nil {
		return "", nil, err
	}
	if !fi.IsDir() {
		return "", nil, &InputError{fmt.Sprintf("source %s is not a directory", source), "the store holds directory trees; put the file in a directory"}
	}
	src, err := filepath.EvalSymlinks(source)
	return src, in, err
}
