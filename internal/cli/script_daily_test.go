package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// cmdPtyrun runs PROG ARGS on a pseudo-terminal of ROWS×COLS:
//
//	ptyrun ROWS COLS PROG [ARGS...]
//
// It fails when the output ever draws a live region taller than the
// terminal, and writes what a terminal would hold
// afterwards — scrollback, then the screen — to the file pty.screen, and
// the raw bytes to pty.raw. The program's exit status is ignored; use
// the screen's contents to check the outcome.
func cmdPtyrun(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: ptyrun ROWS COLS PROG [ARGS...]")
	}
	if runtime.GOOS != "linux" {
		ts.Fatalf("ptyrun needs Linux pseudo-terminals")
	}
	rows, err1 := strconv.Atoi(args[0])
	cols, err2 := strconv.Atoi(args[1])
	if err1 != nil || err2 != nil || rows < 3 || cols < 10 {
		ts.Fatalf("ptyrun: bad size %sx%s", args[0], args[1])
	}
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	ts.Check(err)
	defer master.Close()
	ts.Check(unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	ts.Check(err)
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	ts.Check(err)
	ts.Check(unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}))
	// No newline translation: the bytes are what the program wrote.
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	ts.Check(err)
	tio.Oflag &^= unix.OPOST
	ts.Check(unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio))

	// The script's PATH holds testscript's own programs (meta).
	path := ""
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if p := filepath.Join(dir, args[2]); fileExists(p) {
			path = p
			break
		}
	}
	if path == "" {
		ts.Fatalf("ptyrun: %s not found on the script's PATH", args[2])
	}
	cmd := exec.Command(path, args[3:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"HOME", "PATH", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "GIT_CONFIG_NOSYSTEM",
		"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "NO_COLOR"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	cmd.Env = append(cmd.Env, "TERM=xterm", "CI=")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	ts.Check(cmd.Start())
	slave.Close()
	var raw bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&raw, master) // ends with EIO when the last writer closes
		close(done)
	}()
	cmd.Wait()
	<-done
	ts.Check(os.WriteFile(ts.MkAbs("pty.raw"), raw.Bytes(), 0o644))
	screen, err := emulate(raw.Bytes(), rows, cols)
	ts.Check(os.WriteFile(ts.MkAbs("pty.screen"), []byte(screen), 0o644))
	if err != nil {
		ts.Fatalf("ptyrun: %v", err)
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// emulate plays output on a rows×cols terminal with scrollback, handling
// what meta writes (text, \r, \n, ESC[nA, ESC[J, ESC[2K, colours), and
// returns scrollback plus screen (long lines wrap). It reports an error
// when the cursor is moved up by rows or more: a live region taller than
// the screen.
func emulate(out []byte, rows, cols int) (string, error) {
	var scroll []string
	screen := make([]string, rows)
	y, x := 0, 0
	var problem error
	s := string(out)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			if y == rows-1 {
				scroll = append(scroll, screen[0])
				copy(screen, screen[1:])
				screen[rows-1] = ""
			} else {
				y++
			}
			x = 0
		case c == '\r':
			x = 0
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';') {
				j++
			}
			if j >= len(s) {
				i = j
				continue
			}
			arg := s[i+2 : j]
			switch s[j] {
			case 'A':
				n, _ := strconv.Atoi(arg)
				if n >= rows && problem == nil {
					problem = fmt.Errorf("the cursor moves up %d lines on a %d-line terminal: the live region does not fit", n, rows)
				}
				y = max(y-n, 0)
			case 'J':
				screen[y] = screen[y][:min(x, len(screen[y]))]
				for k := y + 1; k < rows; k++ {
					screen[k] = ""
				}
			case 'K':
				screen[y] = ""
			}
			i = j
		case c >= 0x20:
			if x == cols { // the terminal wraps a full line
				if y == rows-1 {
					scroll = append(scroll, screen[0])
					copy(screen, screen[1:])
					screen[rows-1] = ""
				} else {
					y++
				}
				x = 0
			}
			line := []rune(screen[y])
			r, size := []rune(s[i:])[0], 0
			size = len(string(r))
			for len(line) < x {
				line = append(line, ' ')
			}
			if x < len(line) {
				line[x] = r
			} else {
				line = append(line, r)
			}
			screen[y] = string(line)
			x++
			i += size - 1
		}
	}
	all := append(scroll, screen...)
	for len(all) > 0 && all[len(all)-1] == "" {
		all = all[:len(all)-1]
	}
	return strings.Join(all, "\n") + "\n", problem
}
