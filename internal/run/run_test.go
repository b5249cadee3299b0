package run

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestOutputAndError(t *testing.T) {
	ctx := context.Background()
	out, err := Output(ctx, Cmd{Args: []string{"sh", "-c", "echo hello"}})
	if err != nil || string(out) != "hello\n" {
		t.Fatalf("Output = %q, %v", out, err)
	}
	_, err = Output(ctx, Cmd{Args: []string{"sh", "-c", "echo bad thing >&2; exit 3"}})
	var re *Error
	if !errors.As(err, &re) || re.ExitCode != 3 || !strings.Contains(err.Error(), "bad thing") {
		t.Fatalf("err = %#v", err)
	}
	_, err = Output(ctx, Cmd{Args: []string{"definitely-not-a-program-xyz"}})
	if !errors.As(err, &re) || re.ExitCode != -1 {
		t.Fatalf("missing program err = %#v", err)
	}
}

func TestCombinedKeepsOrder(t *testing.T) {
	var buf bytes.Buffer
	err := Run(context.Background(), Cmd{Args: []string{"sh", "-c", "echo one; echo two >&2; echo three"}, Stdout: &buf, Stderr: &buf})
	if err != nil || buf.String() != "one\ntwo\nthree\n" {
		t.Fatalf("got %q, %v", buf.String(), err)
	}
}

func TestCancelKillsProcessGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- Run(ctx, Cmd{Args: []string{"sh", "-c", "sleep 30 & sleep 30; wait"}})
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("command not cancelled")
	}
}

func TestHook(t *testing.T) {
	var seen []string
	restore := SetHook(func(c *Cmd) error {
		seen = append(seen, strings.Join(c.Args, " "))
		if c.Args[0] == "forbidden" {
			return errors.New("blocked")
		}
		return nil
	})
	defer restore()
	if err := Run(context.Background(), Cmd{Args: []string{"forbidden"}}); err == nil || err.Error() != "blocked" {
		t.Fatalf("err = %v", err)
	}
	if len(seen) != 1 {
		t.Fatalf("seen = %v", seen)
	}
}

func TestEnvironReplacesTheEnvironment(t *testing.T) {
	t.Setenv("META_RUN_TEST_INHERITED", "yes")
	out, err := Output(context.Background(), Cmd{Args: []string{"sh", "-c", "echo \"[$META_RUN_TEST_INHERITED][$A][$B]\""}, Environ: []string{"A=1", "PATH=" + os.Getenv("PATH")}, Env: []string{"B=2"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "[][1][2]" {
		t.Errorf("got %s, want [][1][2]: Environ replaces the inherited environment, Env adds to it", got)
	}
}
