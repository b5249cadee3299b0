// Command proctime runs a command as a whole process and appends its wall
// time and CPU time (user + system, the process and the children it
// waited for) to a file, in milliseconds: "wall_ms cpu_ms". The command's
// own output passes through; its exit status is proctime's.
//
//	proctime OUTFILE COMMAND [ARG...]
//
// The resolver comparison scripts time both sides with it, so that both
// are measured the same way.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: proctime OUTFILE COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "proctime:", err)
		os.Exit(1)
	}
	st := cmd.ProcessState
	cpu := st.UserTime() + st.SystemTime()
	f, ferr := os.OpenFile(os.Args[1], os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if ferr == nil {
		_, ferr = fmt.Fprintf(f, "%.3f %.3f\n", float64(wall)/1e6, float64(cpu)/1e6)
		if cerr := f.Close(); ferr == nil {
			ferr = cerr
		}
	}
	if ferr != nil {
		fmt.Fprintln(os.Stderr, "proctime:", ferr)
		os.Exit(1)
	}
	os.Exit(st.ExitCode())
}
