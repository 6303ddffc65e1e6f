package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/maillage/maillage/geo"
)

// ImportJobStore keeps the state of import jobs, shared by every server on
// the database.
type ImportJobStore struct {
	db *DB
	// Stale is how long a running job's heartbeat may be silent before the
	// job counts as interrupted (default 30 s).
	Stale time.Duration
}

// NewImportJobStore returns the import jobs of db.
func NewImportJobStore(db *DB) *ImportJobStore {
	return &ImportJobStore{db: db, Stale: 30 * time.Second}
}

// Interrupted is the error of a job whose server stopped while it ran.
const Interrupted = "interrupted: the server running it stopped; nothing was stored"

// CreateImportJob records a running job for file and sets its ID.
func (s *ImportJobStore) CreateImportJob(ctx context.Context, j *geo.ImportJob) error {
	return s.db.Pool.QueryRow(ctx, `
		INSERT INTO import_jobs (filename, dry_run, bytes_total) VALUES ($1, $2, $3)
		RETURNING id, state, created_at`, j.Filename, j.DryRun, j.BytesTotal).Scan(&j.ID, &j.State, &j.CreatedAt)
}

// BeatImportJob records how far job id is and reports whether someone
// asked to cancel it.
func (s *ImportJobStore) BeatImportJob(ctx context.Context, id int64, read, stored, failed int, bytes int64) (cancel bool, err error) {
	err = s.db.Pool.QueryRow(ctx, `
		UPDATE import_jobs SET rows_read = $2, rows_stored = $3, rows_failed = $4, bytes_read = $5,
			heartbeat_at = now()
		WHERE id = $1 AND state = 'running'
		RETURNING cancel_requested`, id, read, stored, failed, bytes).Scan(&cancel)
	if err == pgx.ErrNoRows {
		return true, nil
	}
	return cancel, err
}

// FinishImportJob ends job id in state with errText or its result (JSON).
func (s *ImportJobStore) FinishImportJob(ctx context.Context, id int64, state, errText string, read, stored, failed int, result []byte) error {
	_, err := s.db.Pool.Exec(ctx, `
		UPDATE import_jobs SET state = $2, error = $3, rows_read = $4, rows_stored = $5, rows_failed = $6,
			result = $7, finished_at = now(), heartbeat_at = now()
		WHERE id = $1`, id, state, errText, read, stored, failed, result)
	return err
}

// FindImportJob returns job id, or ENotFound. A running job whose
// heartbeat stopped is failed as interrupted first.
func (s *ImportJobStore) FindImportJob(ctx context.Context, id int64) (*geo.ImportJob, error) {
	if _, err := s.InterruptStale(ctx); err != nil {
		return nil, err
	}
	var j geo.ImportJob
	err := s.db.Pool.QueryRow(ctx, `
		SELECT id, filename, dry_run, state, error, cancel_requested, rows_read, rows_stored, rows_failed,
			bytes_read, bytes_total, result, created_at, finished_at
		FROM import_jobs WHERE id = $1`, id).Scan(&j.ID, &j.Filename, &j.DryRun, &j.State, &j.Error,
		&j.Cancelling, &j.RowsRead, &j.RowsStored, &j.RowsFailed, &j.BytesRead, &j.BytesTotal, &j.Result,
		&j.CreatedAt, &j.FinishedAt)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("import %d", id))
	}
	j.Cancelling = j.Cancelling && j.State == geo.JobRunning
	return &j, nil
}

// CancelImportJob asks the server running job id to cancel it; the job
// ends cancelled, with nothing stored, within a few seconds. Returns
// ENotFound, or EConflict when the job has already ended.
func (s *ImportJobStore) CancelImportJob(ctx context.Context, id int64) error {
	tag, err := s.db.Pool.Exec(ctx, `
		UPDATE import_jobs SET cancel_requested = true WHERE id = $1 AND state = 'running'`, id)
	if err != nil || tag.RowsAffected() > 0 {
		return err
	}
	j, err := s.FindImportJob(ctx, id)
	if err != nil {
		return err
	}
	return geo.Errorf(geo.EConflict, "import %d has already ended (%s)", id, j.State)
}

// InterruptStale fails as interrupted the running jobs whose heartbeat
// has been silent for longer than Stale, and returns how many.
func (s *ImportJobStore) InterruptStale(ctx context.Context) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, `
		UPDATE import_jobs SET state = 'failed', error = $1, finished_at = now()
		WHERE state = 'running' AND heartbeat_at < now() - make_interval(secs => $2)`, Interrupted, s.Stale.Seconds())
	return tag.RowsAffected(), err
}
