// Package pgcluster runs the PostgreSQL cluster private to maillage, used
// when no DATABASE_URL is given: initdb on first use, start, reuse by other
// processes, stop, and the clearing of what a killed server leaves behind.
// The server listens only on a unix socket in the cluster's directory.
package pgcluster

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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Database is the database Start creates in the cluster for maillage.
const Database = "maillage"

// Layout of a cluster directory.
const (
	clusterDataDir  = "postgres"     // PGDATA
	clusterRunDir   = "run"          // the unix socket
	clusterLogFile  = "postgres.log" // server output
	clusterLockFile = "cluster.lock" // flock held while checking or starting
	clusterConfFile = "maillage.conf"

	clusterPort      = 5432
	clusterSuperuser = "maillage"

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

// Config says where and how to run a private cluster.
type Config struct {
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

// Start starts the cluster in cfg.Dir, running initdb first if the directory
// holds none, and creates the database named Database if missing. If a
// server already runs there, Start connects to it instead and Stop will
// leave it running. Several processes may call Start on the same directory
// at once.
//
// Returns a *SetupError if PostgreSQL is not installed, if the socket path is
// too long or if, as root, the postgres user cannot enter cfg.Dir.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.Dir == "" {
		return nil, errors.New("pgcluster: no directory for the PostgreSQL cluster")
	}
	c, err := newCluster(cfg.Dir, cfg.Logger)
	if err != nil {
		return nil, err
	}
	if sock := c.socketPath(); len(sock) >= maxSocketPath {
		return nil, setupErrorf("PostgreSQL socket path %s is %d bytes, more than %d: choose a shorter data directory", sock, len(sock), maxSocketPath-1)
	}
	if c.binDir, err = FindBinDir(cfg.BinDir); err != nil {
		return nil, err
	}
	if c.run, err = newRunner(c.dir); err != nil {
		return nil, err
	}
	if err := c.prepareDirs(); err != nil {
		return nil, err
	}

	unlock, err := lockFile(ctx, filepath.Join(c.dir, clusterLockFile))
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

func newCluster(dir string, logger *slog.Logger) (*Cluster, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Cluster{
		dir:     dir,
		dataDir: filepath.Join(dir, clusterDataDir),
		runDir:  filepath.Join(dir, clusterRunDir),
		logger:  logger,
	}, nil
}

// URL returns url when it is set; otherwise it starts the private cluster
// of cfg (or reuses a running one) and returns the connection string of
// its application database. The returned function stops a cluster that
// this call started, logging a failure.
func URL(ctx context.Context, url string, cfg Config) (string, func(), error) {
	if url != "" {
		return url, func() {}, nil
	}
	c, err := Start(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	return c.ConnString(Database), func() {
		if err := c.Stop(); err != nil && cfg.Logger != nil {
			cfg.Logger.Error("stopping PostgreSQL", "err", err)
		}
	}, nil
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

// Stop stops the server running in dir, if any. binDir is as in
// Config.BinDir.
func Stop(dir, binDir string) error {
	ctx := context.Background()
	c, err := newCluster(dir, nil)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if c.binDir, err = FindBinDir(binDir); err != nil {
		return err
	}
	if c.run, err = newRunner(c.dir); err != nil {
		return err
	}
	unlock, err := lockFile(ctx, filepath.Join(c.dir, clusterLockFile))
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

// shmemInUse is how PostgreSQL refuses to start while processes of a killed
// server are still attached to its shared memory.
const shmemInUse = "pre-existing shared memory block"

// start runs initdb if need be, then starts the server. The children of a
// server killed with -9 take a moment to notice and exit; until they do,
// PostgreSQL refuses to start (its shared memory interlock), and start tries
// again for 30 seconds.
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
	deadline := time.Now().Add(30 * time.Second)
	for {
		logStart := fileSize(logFile)
		out, err := c.run.output(ctx, filepath.Join(c.binDir, "pg_ctl"),
			"start", "-w", "-t", "120", "-D", c.dataDir, "-l", logFile)
		if err == nil {
			return nil
		}
		if ctx.Err() == nil && time.Now().Before(deadline) && strings.Contains(logSince(logFile, logStart), shmemInUse) {
			c.logger.Info("waiting for the processes of a killed PostgreSQL to exit", "dir", c.dataDir)
			if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		return fmt.Errorf("starting PostgreSQL in %s: %v: %s (see %s: %s)",
			c.dataDir, err, oneLine(out), logFile, lastLogLine(logFile))
	}
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
		return fmt.Errorf("cannot connect to PostgreSQL in %s: %s", c.dataDir, oneLine([]byte(err.Error())))
	}
	defer conn.Close(context.Background())
	var exists bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, Database).Scan(&exists)
	if err != nil || exists {
		return err
	}
	c.logger.Info("creating database", "name", Database)
	_, err = conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{Database}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		return nil
	}
	return err
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

func oneLine(b []byte) string {
	return strings.Join(strings.Fields(string(b)), " ")
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logSince returns what the server log holds from offset on.
func logSince(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	return string(b)
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
