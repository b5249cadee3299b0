package backendtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// EnvServers names the directory where .ci/run puts the servers it builds
// from source (bazel-remote, bb_scheduler, bb_worker, bb_runner).
const EnvServers = "META_TEST_SERVERS"

// ServerBin finds a server built by .ci/run: in $META_TEST_SERVERS, then
// on PATH. It skips the test when absent (fails under CI=true).
func ServerBin(t Host, name string) string {
	t.Helper()
	var cands []string
	if dir := os.Getenv(EnvServers); dir != "" {
		cands = append(cands, filepath.Join(dir, name))
	}
	return NeedServer(t, name, cands...)
}

// BazelRemote is a running bazel-remote.
type BazelRemote struct {
	HTTP string // http://127.0.0.1:PORT
	GRPC string // grpc://127.0.0.1:PORT
	Dir  string // its storage directory (uncompressed CAS files, to poison in tests)
	cmd  *exec.Cmd
}

// StartBazelRemote runs a real bazel-remote on loopback serving the Bazel
// HTTP cache and the REAPI gRPC cache from one uncompressed disk store.
func StartBazelRemote(t Host) *BazelRemote {
	t.Helper()
	bin, dir, data, httpAddr, grpcAddr, args := bazelRemoteArgs(t)
	cmd := exec.Command(bin, args...)
	br := &BazelRemote{HTTP: "http://" + httpAddr, GRPC: "grpc://" + grpcAddr, Dir: data, cmd: cmd}
	startServer(t, cmd, br.HTTP+"/status", filepath.Join(dir, "bazel-remote.log"))
	return br
}

// StartBazelRemoteTLS runs bazel-remote with TLS (server certificate and
// key files) and, when caFile is set, client certificates required and
// checked against it. Its URLs are https:// and grpcs://.
func StartBazelRemoteTLS(t Host, certFile, keyFile, caFile string) *BazelRemote {
	t.Helper()
	bin, dir, data, httpAddr, grpcAddr, args := bazelRemoteArgs(t)
	args = append(args, "--tls_cert_file", certFile, "--tls_key_file", keyFile)
	if caFile != "" {
		args = append(args, "--tls_ca_file", caFile)
	}
	cmd := exec.Command(bin, args...)
	br := &BazelRemote{HTTP: "https://" + httpAddr, GRPC: "grpcs://" + grpcAddr, Dir: data, cmd: cmd}
	startProcess(t, cmd, filepath.Join(dir, "bazel-remote.log"), func() bool { return dialOK(grpcAddr) })
	return br
}

// bazelRemoteArgs finds bazel-remote, makes a temporary directory dir
// with its storage directory data inside, and picks its two loopback
// addresses; args are the command-line arguments for all that.
func bazelRemoteArgs(t Host) (bin, dir, data, httpAddr, grpcAddr string, args []string) {
	t.Helper()
	bin = ServerBin(t, "bazel-remote")
	dir = t.TempDir()
	data = filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	httpAddr, grpcAddr = freeAddr(t), freeAddr(t)
	args = []string{"--dir", data, "--max_size", "1", "--storage_mode", "uncompressed",
		"--http_address", httpAddr, "--grpc_address", grpcAddr}
	return bin, dir, data, httpAddr, grpcAddr, args
}

// CASFile returns the path of the stored CAS blob hash in a bazel-remote
// directory, or "" when there is none.
func CASFile(dir, hash string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "cas.v2", hash[:2], hash+"*"))
	if len(m) == 0 {
		m, _ = filepath.Glob(filepath.Join(dir, "cas", hash[:2], hash+"*"))
	}
	if len(m) == 0 {
		return ""
	}
	return m[0]
}

// Signal sends sig to the server process (SIGKILL to stop it, SIGSTOP to
// make it hang).
func (b *BazelRemote) Signal(sig syscall.Signal) error { return b.cmd.Process.Signal(sig) }

// Wait waits until a killed server's port is closed: a dial is refused.
func (b *BazelRemote) Wait() {
	for range 200 {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(b.HTTP, "http://"), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond) // poll interval while the process exits
	}
}
