package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pidState tells what postmaster.pid says about the data directory.
type pidState int

const (
	pidNone  pidState = iota // no pid file
	pidStale                 // its process is dead, or is not our server
	pidLive                  // our server runs, or is starting or stopping
)

type postmasterStatus struct {
	state pidState
	pid   int
	ready bool // the server accepts connections
}

// Lines of postmaster.pid, the lock file PostgreSQL writes in its data
// directory (see src/include/utils/pidfile.h): its first line is the PID of
// the server, the eighth its state.
const (
	pidFileLinePID    = 0
	pidFileLineStatus = 7
)

// status reads postmaster.pid and tells whether the server it names runs,
// with the checks PostgreSQL itself makes on that file and nothing specific
// to one system:
//   - a PID that no longer exists, or that we may not signal (kill with
//     signal 0), is a dead server: our server runs as ourselves, or as the
//     postgres user when we are root, who may signal anything;
//   - after a kill -9 the PID may be reused by any process, so a live PID is
//     our server only if something answers on the cluster's socket, which
//     PostgreSQL opens before it reports "starting" and keeps until it exits.
//
// A live PID without a socket whose file says the server is starting or
// stopping (or says nothing yet) is taken as live: waitRunning waits for it.
func (c *Cluster) status() (postmasterStatus, error) {
	b, err := os.ReadFile(filepath.Join(c.dataDir, "postmaster.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return postmasterStatus{state: pidNone}, nil
	}
	if err != nil {
		return postmasterStatus{}, err
	}
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[pidFileLinePID]))
	if err != nil || pid <= 0 {
		// Being written, or garbage: only a live server can tell.
		return postmasterStatus{state: pidStale}, nil
	}
	st := postmasterStatus{state: pidStale, pid: pid}
	if !processAlive(pid) {
		return st, nil
	}
	var status string
	if len(lines) > pidFileLineStatus {
		status = strings.TrimSpace(lines[pidFileLineStatus])
	}
	switch c.socketAnswers() {
	case answerYes:
		st.state = pidLive
		st.ready = status == "ready"
	case answerNo:
		if status != "ready" && status != "standby" {
			st.state = pidLive
		}
	case answerUnknown:
		st.state = pidLive
	}
	return st, nil
}

// processAlive tells whether process pid exists and is ours to signal. Our
// own PID is never the server's: it is in the file only if a server before
// a restart of the machine or of the container had it.
func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}

type socketAnswer int

const (
	answerNo      socketAnswer = iota // no socket file, or nobody listens on it
	answerYes                         // a server accepted the connection
	answerUnknown                     // something else went wrong: do not conclude
)

// socketAnswers connects to the cluster's socket and hangs up, which
// PostgreSQL does not even log.
func (c *Cluster) socketAnswers() socketAnswer {
	conn, err := net.DialTimeout("unix", c.socketPath(), 5*time.Second)
	switch {
	case err == nil:
		conn.Close()
		return answerYes
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT):
		return answerNo
	}
	return answerUnknown
}

// waitRunning tells whether our server runs in the data directory, waiting
// for one that is starting up or shutting down, and clearing the lock files
// of one that died.
func (c *Cluster) waitRunning(ctx context.Context) (bool, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, err := c.status()
		if err != nil {
			return false, err
		}
		switch {
		case st.state == pidNone:
			return false, nil
		case st.state == pidStale:
			return false, c.clearStale(st.pid)
		case st.ready:
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("PostgreSQL (pid %d) in %s is neither ready nor stopped after 2 minutes", st.pid, c.dataDir)
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return false, err
		}
	}
}

// clearStale removes the lock files left by a server that is gone, which
// PostgreSQL would otherwise take for a live server if their PID now names
// another process. Children of the dead server that are still attached to
// its shared memory are left to PostgreSQL's own interlock: start waits
// for them.
func (c *Cluster) clearStale(pid int) error {
	c.logger.Warn("removing stale PostgreSQL lock files", "dir", c.dataDir, "pid", pid)
	locks, _ := filepath.Glob(filepath.Join(c.runDir, ".s.PGSQL.*.lock"))
	for _, p := range append(locks, filepath.Join(c.dataDir, "postmaster.pid")) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
