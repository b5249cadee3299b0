package backendtest

import (
	"embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

//go:embed buildbarn/*.jsonnet
var buildbarnConfigs embed.FS

// Buildbarn is a running Buildbarn scheduler with its workers.
type Buildbarn struct {
	Exec string // grpc://127.0.0.1:PORT of the scheduler's Execution service
}

// StartBuildbarn runs bb_scheduler and workers (each a bb_worker with its
// own bb_runner) on loopback, with cas (host:port of a REAPI gRPC cache,
// such as bazel-remote's) as their CAS and action cache. The
// configurations are the Jsonnet files in buildbarn/.
func StartBuildbarn(t Host, cas string, workers int) *Buildbarn {
	t.Helper()
	sched := ServerBin(t, "bb_scheduler")
	worker := ServerBin(t, "bb_worker")
	runner := ServerBin(t, "bb_runner")
	dir := t.TempDir()
	conf := func(name string) string {
		data, err := buildbarnConfigs.ReadFile("buildbarn/" + name)
		if err != nil {
			t.Fatalf("%v", err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatalf("%v", err)
		}
		return p
	}
	client, workerAddr := freeAddr(t), freeAddr(t)
	env := append(os.Environ(), "BB_SCHEDULER_CLIENT="+client, "BB_SCHEDULER_WORKER="+workerAddr, "BB_CAS="+cas)
	cmd := exec.Command(sched, conf("scheduler.jsonnet"))
	cmd.Env = env
	startProcess(t, cmd, filepath.Join(dir, "scheduler.log"), func() bool { return dialOK(client) })
	workerConf, runnerConf := conf("worker.jsonnet"), conf("runner.jsonnet")
	for i := range workers {
		wdir := filepath.Join(dir, fmt.Sprintf("w%d", i))
		for _, d := range []string{"build", "cache"} {
			if err := os.MkdirAll(filepath.Join(wdir, d), 0o755); err != nil {
				t.Fatalf("%v", err)
			}
		}
		wenv := append(env, "BB_WORKER_DIR="+wdir, fmt.Sprintf("BB_WORKER_ID=w%d", i))
		sock := filepath.Join(wdir, "runner.sock")
		r := exec.Command(runner, runnerConf)
		r.Env = wenv
		startProcess(t, r, filepath.Join(wdir, "runner.log"), func() bool { _, err := os.Stat(sock); return err == nil })
		w := exec.Command(worker, workerConf)
		w.Env = wenv
		startProcess(t, w, filepath.Join(wdir, "worker.log"), nil)
	}
	return &Buildbarn{Exec: "grpc://" + client}
}

func dialOK(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// startProcess starts cmd, stops it when the test ends, and waits until
// ready reports true (nil: only that it has not exited at once), giving up
// after a bounded number of polls.
func startProcess(t Host, cmd *exec.Cmd, logFile string, ready func() bool) {
	t.Helper()
	logf, err := os.Create(logFile)
	if err != nil {
		t.Fatalf("%v", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		logf.Close()
	})
	polls := 600
	if ready == nil {
		polls = 10 // half a second without exiting
	}
	for range polls {
		select {
		case err := <-exited:
			exited <- err // for the cleanup, which waits for the exit
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s exited early: %v\n%s", filepath.Base(cmd.Path), err, strings.TrimSpace(string(log)))
		default:
		}
		if ready != nil && ready() {
			return
		}
		time.Sleep(50 * time.Millisecond) // poll interval while the server starts
	}
	if ready != nil {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("%s not ready within 30s\n%s", filepath.Base(cmd.Path), log)
	}
}
