package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockFile takes an exclusive flock on path, waiting for it until ctx ends,
// and returns the function releasing it.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			f.Close()
			return nil, err
		}
	}
}

// runner runs the PostgreSQL programs: as the postgres user when we are root,
// since the server refuses to run as root, and as ourselves otherwise.
type runner struct {
	dir  string              // working directory, reachable by the user
	cred *syscall.Credential // nil: run as ourselves
	gids []uint32
}

func newRunner(dir string) (*runner, error) {
	r := &runner{dir: dir}
	if os.Geteuid() != 0 {
		return r, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, setupErrorf("running as root needs a \"postgres\" system user to run PostgreSQL: install it with \"apt-get install %s\"", debianPackages)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	r.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	gids, _ := u.GroupIds()
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			r.gids = append(r.gids, uint32(n))
			r.cred.Groups = append(r.cred.Groups, uint32(n))
		}
	}
	return r, nil
}

// checkTraversable checks that the postgres user can enter dir and every
// directory above it.
func (r *runner) checkTraversable(dir string) error {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		mode := fi.Mode().Perm()
		ok := mode&0o001 != 0
		switch {
		case st.Uid == r.cred.Uid:
			ok = mode&0o100 != 0
		case st.Gid == r.cred.Gid || slices.Contains(r.gids, st.Gid):
			ok = mode&0o010 != 0
		}
		if !ok {
			return setupErrorf("the postgres user cannot enter %s, above the PostgreSQL data in %s: run \"chmod o+x %s\" or choose another data directory", p, dir, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// output runs a PostgreSQL program and returns its combined output. The
// program gets its own session so that the server it may start outlives the
// caller's terminal.
func (r *runner) output(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = r.dir
	cmd.Env = serverEnv()
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: r.cred}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// pg_ctl's server keeps no descriptor of ours; bound the wait anyway.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

// serverEnv is our environment without the PG* variables, which would
// change the server's port or data directory, and with messages in English.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}
