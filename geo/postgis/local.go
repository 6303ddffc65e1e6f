package postgis

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Layout of a cluster directory.
const (
	clusterDataDir  = "postgres"     // PGDATA
	clusterRunDir   = "run"          // the unix socket
	clusterLogFile  = "postgres.log" // server output
	clusterLockFile = "cluster.lock" // flock held while checking or starting
	clusterConfFile = "maillage.conf"

	clusterPort      = 5432
	clusterSuperuser = "maillage"
	appDatabase      = "maillage"

	// maxSocketPath leaves room under the kernel's 108-byte sun_path for
	// the socket's ".lock" sibling and the terminating NUL.
	maxSocketPath = 100
)

// debianPackages names what to install when PostgreSQL is missing.
const debianPackages = "postgresql-15 postgresql-15-postgis-3"

// SetupError is a problem with the machine rather than with maillage: a
// missing program or package, a directory the server cannot enter. Its
// message is one line telling what to do; the CLI prints it and exits 1.
type SetupError struct {
	Msg string
}

func (e *SetupError) Error() string { return e.Msg }

func setupErrorf(format string, args ...any) *SetupError {
	return &SetupError{Msg: fmt.Sprintf(format, args...)}
}

// ClusterConfig says where and how to run a private cluster.
type ClusterConfig struct {
	// Dir holds the data directory, the socket and the server log.
	Dir string
	// BinDir holds initdb, pg_ctl and postgres; empty means search for
	// them (see FindBinDir).
	BinDir string
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// Unsafe turns off fsync, synchronous_commit and full_page_writes:
	// fast, and a crash of the machine may lose the data. For tests.
	Unsafe bool
}

// Cluster is a PostgreSQL server private to maillage, reachable only through
// a unix socket in its directory.
type Cluster struct {
	dir     string
	dataDir string
	runDir  string
	binDir  string
	run     *runner
	logger  *slog.Logger
	started bool
}

// StartCluster starts the cluster in cfg.Dir, running initdb first if the
// directory holds none, and creates the "maillage" database if missing. If a
// server already runs there, StartCluster connects to it instead and Stop
// will leave it running. Several processes may call StartCluster on the same
// directory at once.
//
// Returns a *SetupError if PostgreSQL is not installed, if the socket path is
// too long or if, as root, the postgres user cannot enter cfg.Dir.
func StartCluster(ctx context.Context, cfg ClusterConfig) (*Cluster, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Dir == "" {
		return nil, errors.New("postgis: no directory for the PostgreSQL cluster")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		dir:     dir,
		dataDir: filepath.Join(dir, clusterDataDir),
		runDir:  filepath.Join(dir, clusterRunDir),
		logger:  logger,
	}
	if sock := c.socketPath(); len(sock) >= maxSocketPath {
		return nil, setupErrorf("PostgreSQL socket path %s is %d bytes, more than %d: choose a shorter data directory", sock, len(sock), maxSocketPath-1)
	}
	if c.binDir, err = FindBinDir(cfg.BinDir); err != nil {
		return nil, err
	}
	if c.run, err = newRunner(dir); err != nil {
		return nil, err
	}
	if err := c.prepareDirs(); err != nil {
		return nil, err
	}

	unlock, err := lockFile(ctx, filepath.Join(dir, clusterLockFile))
	if err != nil {
		return nil, err
	}
	defer unlock()

	running, err := c.waitRunning(ctx)
	if err != nil {
		return nil, err
	}
	if !running {
		if err := c.start(ctx, cfg.Unsafe); err != nil {
			return nil, err
		}
		c.started = true
	}
	if err := c.createAppDatabase(ctx); err != nil {
		if c.started {
			c.Stop()
		}
		return nil, err
	}
	return c, nil
}

// Started tells whether this process started the server, and so whether Stop
// will stop it.
func (c *Cluster) Started() bool { return c.started }

// Dir returns the cluster's directory.
func (c *Cluster) Dir() string { return c.dir }

// ConnString returns a connection string for database dbname over the
// cluster's socket, as the superuser.
func (c *Cluster) ConnString(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable",
		quoteConnValue(c.runDir), clusterPort, clusterSuperuser, quoteConnValue(dbname))
}

// Stop stops the server if this process started it, and does nothing
// otherwise.
func (c *Cluster) Stop() error {
	if !c.started {
		return nil
	}
	c.started = false
	return c.stop(context.Background())
}

// StopCluster stops the server running in dir, if any. binDir is as in
// ClusterConfig.
func StopCluster(dir, binDir string) error {
	ctx := context.Background()
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	c := &Cluster{
		dir:     dir,
		dataDir: filepath.Join(dir, clusterDataDir),
		runDir:  filepath.Join(dir, clusterRunDir),
		logger:  slog.New(slog.DiscardHandler),
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if c.binDir, err = FindBinDir(binDir); err != nil {
		return err
	}
	if c.run, err = newRunner(dir); err != nil {
		return err
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, clusterLockFile))
	if err != nil {
		return err
	}
	defer unlock()
	st, err := c.status()
	if err != nil || st.state != pidLive {
		return err
	}
	return c.stop(ctx)
}

// FindBinDir returns the directory holding the PostgreSQL server programs:
// override if not empty, else what pg_config --bindir names, else the newest
// /usr/lib/postgresql/*/bin, else /usr/local/pgsql/bin. Returns a
// *SetupError naming the packages to install if none holds them.
func FindBinDir(override string) (string, error) {
	if override != "" {
		if !hasServerBinaries(override) {
			return "", setupErrorf("PostgreSQL server not found in %s: install it with \"apt-get install %s\"", override, debianPackages)
		}
		return override, nil
	}
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	candidates = append(candidates, debianBinDirs()...)
	candidates = append(candidates, "/usr/local/pgsql/bin")
	for _, d := range candidates {
		if hasServerBinaries(d) {
			return d, nil
		}
	}
	return "", setupErrorf("PostgreSQL server not found: install it with \"apt-get install %s\"", debianPackages)
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// debianBinDirs returns /usr/lib/postgresql/*/bin, newest version first.
func debianBinDirs() []string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(version(b), version(a)) })
	return dirs
}

func (c *Cluster) socketPath() string {
	return filepath.Join(c.runDir, fmt.Sprintf(".s.PGSQL.%d", clusterPort))
}

// prepareDirs creates the cluster directories and, as root, hands them to
// the postgres user after checking it can reach them.
func (c *Cluster) prepareDirs() error {
	if _, err := os.Stat(c.dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return err
		}
		if c.run.cred != nil {
			if err := os.Chmod(c.dir, 0o755); err != nil {
				return err
			}
		}
	}
	for _, d := range []string{c.dataDir, c.runDir} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	logFile := filepath.Join(c.dir, clusterLogFile)
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	if c.run.cred == nil {
		return nil
	}
	if err := c.run.checkTraversable(c.dir); err != nil {
		return err
	}
	for _, p := range []string{c.dataDir, c.runDir, logFile} {
		if err := os.Chown(p, int(c.run.cred.Uid), int(c.run.cred.Gid)); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) start(ctx context.Context, unsafe bool) error {
	if _, err := os.Stat(filepath.Join(c.dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return err
		}
	}
	if err := c.writeConf(unsafe); err != nil {
		return err
	}
	logFile := filepath.Join(c.dir, clusterLogFile)
	c.logger.Info("starting PostgreSQL", "dir", c.dataDir, "log", logFile)
	out, err := c.run.output(ctx, filepath.Join(c.binDir, "pg_ctl"),
		"start", "-w", "-t", "120", "-D", c.dataDir, "-l", logFile)
	if err != nil {
		return fmt.Errorf("starting PostgreSQL in %s: %v: %s (see %s: %s)",
			c.dataDir, err, oneLine(out), logFile, lastLogLine(logFile))
	}
	return nil
}

func (c *Cluster) stop(ctx context.Context) error {
	c.logger.Info("stopping PostgreSQL", "dir", c.dataDir)
	out, err := c.run.output(ctx, filepath.Join(c.binDir, "pg_ctl"),
		"stop", "-w", "-t", "120", "-m", "fast", "-D", c.dataDir)
	if err != nil {
		return fmt.Errorf("stopping PostgreSQL in %s: %v: %s", c.dataDir, err, oneLine(out))
	}
	return nil
}

func (c *Cluster) initdb(ctx context.Context) error {
	c.logger.Info("creating PostgreSQL cluster", "dir", c.dataDir)
	initdb := filepath.Join(c.binDir, "initdb")
	args := []string{"-D", c.dataDir, "-U", clusterSuperuser, "--auth=trust",
		"--encoding=UTF8", "--no-instructions"}
	out, err := c.run.output(ctx, initdb, append(args, "--locale=C.UTF-8")...)
	if err != nil && bytes.Contains(out, []byte("locale")) {
		// No C.UTF-8 on this system: plain C still stores UTF-8.
		if err := c.cleanDataDir(); err != nil {
			return err
		}
		out, err = c.run.output(ctx, initdb, append(args, "--locale=C")...)
	}
	if err != nil {
		return fmt.Errorf("initdb %s: %v: %s", c.dataDir, err, oneLine(out))
	}
	conf := filepath.Join(c.dataDir, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "\n# Written by maillage at each start.\ninclude_if_exists = '%s'\n", clusterConfFile)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// cleanDataDir empties the data directory after a failed initdb.
func (c *Cluster) cleanDataDir() error {
	entries, err := os.ReadDir(c.dataDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(c.dataDir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// writeConf writes the settings that depend on where the cluster lives, so
// that a moved directory still starts.
func (c *Cluster) writeConf(unsafe bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "listen_addresses = ''\n")
	fmt.Fprintf(&b, "port = %d\n", clusterPort)
	fmt.Fprintf(&b, "unix_socket_directories = '%s'\n", strings.ReplaceAll(c.runDir, "'", "''"))
	fmt.Fprintf(&b, "unix_socket_permissions = 0700\n")
	if unsafe {
		fmt.Fprintf(&b, "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
	}
	p := filepath.Join(c.dataDir, clusterConfFile)
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if c.run.cred != nil {
		return os.Chown(p, int(c.run.cred.Uid), int(c.run.cred.Gid))
	}
	return nil
}

func (c *Cluster) createAppDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		return connectError(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, appDatabase).Scan(&exists)
	if err != nil || exists {
		return err
	}
	c.logger.Info("creating database", "name", appDatabase)
	_, err = conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{appDatabase}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		return nil
	}
	return err
}

// pidState tells what postmaster.pid says about the data directory.
type pidState int

const (
	pidNone  pidState = iota // no pid file
	pidStale                 // its process is dead, or is not our server
	pidLive                  // our server runs
)

type postmasterStatus struct {
	state pidState
	pid   int
	ready bool // the server accepts connections
}

// status reads postmaster.pid and checks its process is a postgres running
// in our data directory: after a kill -9 the PID may be reused by anything.
func (c *Cluster) status() (postmasterStatus, error) {
	b, err := os.ReadFile(filepath.Join(c.dataDir, "postmaster.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return postmasterStatus{state: pidNone}, nil
	}
	if err != nil {
		return postmasterStatus{}, err
	}
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		// Being written, or garbage: only a live server can tell.
		return postmasterStatus{state: pidStale}, nil
	}
	st := postmasterStatus{state: pidStale, pid: pid}
	if isOurPostgres(pid, c.dataDir) {
		st.state = pidLive
		st.ready = len(lines) > 7 && strings.TrimSpace(lines[7]) == "ready"
	}
	return st, nil
}

// isOurPostgres tells whether process pid is a postgres server whose data
// directory is dataDir.
func isOurPostgres(pid int, dataDir string) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmdline) == 0 {
		return false
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if name := filepath.Base(args[0]); name != "postgres" && name != "postmaster" {
		return false
	}
	want := evalDir(dataDir)
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil {
		return evalDir(cwd) == want
	}
	for i, a := range args {
		if a == "-D" && i+1 < len(args) {
			return evalDir(args[i+1]) == want
		}
	}
	return false
}

func evalDir(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
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
			return false, c.clearStale(ctx, st.pid)
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

// clearStale removes the lock files left by a server that is gone. It waits
// for the dead server's children to exit first, since they may still be
// attached to its shared memory.
func (c *Cluster) clearStale(ctx context.Context, pid int) error {
	c.logger.Warn("removing stale PostgreSQL lock files", "dir", c.dataDir, "pid", pid)
	want := evalDir(c.dataDir)
	deadline := time.Now().Add(30 * time.Second)
	for {
		orphans := processesIn(want)
		if len(orphans) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of a dead PostgreSQL still run in %s", orphans, c.dataDir)
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	locks, _ := filepath.Glob(filepath.Join(c.runDir, ".s.PGSQL.*.lock"))
	for _, p := range append(locks, filepath.Join(c.dataDir, "postmaster.pid")) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// processesIn returns the PIDs of the processes whose working directory is
// dir: postgres processes all run in their data directory.
func processesIn(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd"); err == nil && cwd == dir {
			pids = append(pids, pid)
		}
	}
	return pids
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

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

func oneLine(b []byte) string {
	return strings.Join(strings.Fields(string(b)), " ")
}

// lastLogLine returns the last non-empty line of the server log.
func lastLogLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 4096 {
		f.Seek(-4096, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// quoteConnValue quotes v for a keyword/value connection string.
func quoteConnValue(v string) string {
	if v != "" && !strings.ContainsAny(v, ` '\`) {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
