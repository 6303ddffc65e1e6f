package pgcluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/internal/pgcluster"
)

// clusterDir returns a new directory for a cluster, short enough for the
// socket path and open to the postgres user when running as root. The
// cluster in it is stopped at the end of the test.
func clusterDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mlg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pgcluster.Stop(dir, ""); err != nil {
			t.Errorf("StopCluster: %v", err)
		}
		os.RemoveAll(dir)
	})
	return dir
}

func startCluster(t *testing.T, dir string) *pgcluster.Cluster {
	t.Helper()
	c, err := pgcluster.Start(context.Background(), pgcluster.Config{Dir: dir, Unsafe: true})
	if err != nil {
		t.Fatalf("StartCluster: %v", err)
	}
	return c
}

func connect(t *testing.T, c *pgcluster.Cluster) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.ConnString("maillage"))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func postmasterPID(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func running(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "postgres", "postmaster.pid"))
	return err == nil
}

func TestClusterLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := clusterDir(t)

	// Two processes starting at once: one runs initdb and starts the
	// server, the other waits and reuses it.
	var (
		wg       sync.WaitGroup
		clusters [2]*pgcluster.Cluster
		errs     [2]error
	)
	for i := range clusters {
		wg.Go(func() {
			clusters[i], errs[i] = pgcluster.Start(ctx, pgcluster.Config{Dir: dir, Unsafe: true})
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("StartCluster: %v, %v", errs[0], errs[1])
	}
	if clusters[0].Started() == clusters[1].Started() {
		t.Fatalf("Started() = %v, %v; want exactly one true", clusters[0].Started(), clusters[1].Started())
	}
	owner, guest := clusters[0], clusters[1]
	if guest.Started() {
		owner, guest = guest, owner
	}
	if _, err := connect(t, owner).Exec(ctx, `CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	checkKept := func(t *testing.T, c *pgcluster.Cluster) {
		t.Helper()
		var x int
		if err := connect(t, c).QueryRow(ctx, `SELECT x FROM kept`).Scan(&x); err != nil || x != 42 {
			t.Fatalf("SELECT x FROM kept = %d, %v; want 42", x, err)
		}
	}

	t.Run("guest stop leaves the server running", func(t *testing.T) {
		if err := guest.Stop(); err != nil {
			t.Fatal(err)
		}
		checkKept(t, owner)
	})

	t.Run("stop and restart", func(t *testing.T) {
		if err := owner.Stop(); err != nil {
			t.Fatal(err)
		}
		if running(dir) {
			t.Fatal("postmaster.pid still there after Stop")
		}
		c := startCluster(t, dir)
		if !c.Started() {
			t.Error("Started() = false after a stop")
		}
		checkKept(t, c)
		again := startCluster(t, dir)
		if again.Started() {
			t.Error("Started() = true on a running cluster")
		}
	})

	t.Run("kill -9", func(t *testing.T) {
		pid := postmasterPID(t, dir)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for syscall.Kill(pid, 0) == nil {
			time.Sleep(10 * time.Millisecond)
		}
		c := startCluster(t, dir)
		if !c.Started() {
			t.Error("Started() = false after kill -9")
		}
		checkKept(t, c)
	})

	t.Run("pid reused by another process", func(t *testing.T) {
		if err := pgcluster.Stop(dir, ""); err != nil {
			t.Fatal(err)
		}
		sleep := exec.Command("sleep", "60")
		if err := sleep.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			sleep.Process.Kill()
			sleep.Wait()
		}()
		pid := sleep.Process.Pid
		pidFile := fmt.Sprintf("%d\n%s\n1700000000\n5432\n%s\n\n  5432001    0\nready   \n",
			pid, filepath.Join(dir, "postgres"), filepath.Join(dir, "run"))
		if err := os.WriteFile(filepath.Join(dir, "postgres", "postmaster.pid"), []byte(pidFile), 0o600); err != nil {
			t.Fatal(err)
		}
		lock := fmt.Sprintf("%d\n%s\n1700000000\n5432\n%s\n", pid, filepath.Join(dir, "postgres"), filepath.Join(dir, "run"))
		if err := os.WriteFile(filepath.Join(dir, "run", ".s.PGSQL.5432.lock"), []byte(lock), 0o600); err != nil {
			t.Fatal(err)
		}
		c := startCluster(t, dir)
		if !c.Started() {
			t.Error("Started() = false with a stale pid file")
		}
		checkKept(t, c)
	})

	t.Run("StopCluster", func(t *testing.T) {
		if err := pgcluster.Stop(dir, ""); err != nil {
			t.Fatal(err)
		}
		if running(dir) {
			t.Fatal("postmaster.pid still there after StopCluster")
		}
		if err := pgcluster.Stop(dir, ""); err != nil {
			t.Fatalf("StopCluster on a stopped cluster: %v", err)
		}
	})
}

// TestLiveClusterNotStale checks that the stale check Start makes never
// takes a live server for a dead one: its lock files stay and it still
// answers, on the connection opened before and on new ones.
func TestLiveClusterNotStale(t *testing.T) {
	ctx := context.Background()
	dir := clusterDir(t)
	c := startCluster(t, dir)
	conn := connect(t, c)
	pidFile := filepath.Join(dir, "postgres", "postmaster.pid")
	socketLock := filepath.Join(dir, "run", ".s.PGSQL.5432.lock")
	before, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		running, err := pgcluster.WaitRunning(ctx, c)
		if err != nil || !running {
			t.Fatalf("WaitRunning on a live cluster = %v, %v; want true", running, err)
		}
	}
	after, err := os.ReadFile(pidFile)
	if err != nil || !bytes.Equal(after, before) {
		t.Fatalf("postmaster.pid after the stale check: %q, %v; want it kept as %q", after, err, before)
	}
	if _, err := os.Stat(socketLock); err != nil {
		t.Fatalf("socket lock file after the stale check: %v", err)
	}
	var one int
	if err := conn.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Fatalf("the open session after the stale check: %d, %v", one, err)
	}
	if err := connect(t, c).QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Fatalf("a new session after the stale check: %d, %v", one, err)
	}
	again := startCluster(t, dir)
	if again.Started() {
		t.Error("Start on a live cluster started another server")
	}
}

// TestClusterKilledWithLingeringChild checks a restart after a kill -9
// while a child of the dead server is still attached to its shared memory:
// Start waits for it instead of failing, and starts once it is gone.
func TestClusterKilledWithLingeringChild(t *testing.T) {
	ctx := context.Background()
	dir := clusterDir(t)
	c := startCluster(t, dir)
	var child int
	err := connect(t, c).QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`).Scan(&child)
	if err != nil {
		t.Fatal(err)
	}
	// Stopped, the checkpointer cannot notice its parent's death.
	if err := syscall.Kill(child, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })
	pid := postmasterPID(t, dir)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(10 * time.Millisecond)
	}
	logFile := filepath.Join(dir, "postgres.log")
	logStart, err := os.Stat(logFile)
	if err != nil {
		t.Fatal(err)
	}

	type result struct {
		c   *pgcluster.Cluster
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := pgcluster.Start(ctx, pgcluster.Config{Dir: dir, Unsafe: true})
		done <- result{c, err}
	}()
	// Once PostgreSQL has refused to start beside the child, the child goes.
	for refused := false; !refused; {
		select {
		case r := <-done:
			t.Fatalf("Start returned %v while a child of the killed server ran", r.err)
		case <-time.After(20 * time.Millisecond):
		}
		b, _ := os.ReadFile(logFile)
		refused = strings.Contains(string(b[logStart.Size():]), "pre-existing shared memory block")
	}
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Start after the child exited: %v", r.err)
	}
	if !r.c.Started() {
		t.Error("Started() = false after kill -9")
	}
	var one int
	if err := connect(t, r.c).QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 on the restarted server = %d, %v", one, err)
	}
}

func TestClusterMissingBinaries(t *testing.T) {
	_, err := pgcluster.Start(context.Background(), pgcluster.Config{Dir: t.TempDir(), BinDir: t.TempDir()})
	var se *pgcluster.SetupError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v; want a *SetupError", err)
	}
	if !strings.Contains(se.Msg, "apt-get install postgresql-15 postgresql-15-postgis-3") || strings.Contains(se.Msg, "\n") {
		t.Errorf("message %q does not name the packages on one line", se.Msg)
	}
}

func TestClusterSocketPathTooLong(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	_, err := pgcluster.Start(context.Background(), pgcluster.Config{Dir: dir})
	var se *pgcluster.SetupError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "choose a shorter data directory") {
		t.Fatalf("err = %v; want a *SetupError about the path length", err)
	}
}

func TestClusterUntraversableParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to the postgres user")
	}
	base, err := os.MkdirTemp("", "mlg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(base, "closed")
	if err := os.Mkdir(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = pgcluster.Start(context.Background(), pgcluster.Config{Dir: filepath.Join(parent, "c")})
	var se *pgcluster.SetupError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "cannot enter "+parent+",") {
		t.Fatalf("err = %v; want a *SetupError naming %s", err, parent)
	}
}
