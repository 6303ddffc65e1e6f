package geo

import "time"

// What importing one record did to the directory.
const (
	ImportCreated   = "created"
	ImportUpdated   = "updated"
	ImportUnchanged = "unchanged"
	ImportFailed    = "failed"
)

// ImportOutcome is the result of importing one actor: its id and change, or
// the error that made it fail.
type ImportOutcome struct {
	ID        int64
	Change    string
	Err       error
	Duplicate *Duplicate // a created actor that may repeat another (same SIRET, or similar name within 300 m)
}

// MergeImported returns existing updated with what an import brings in.
// The file is the reference for the fields it fills; an empty field in the
// file keeps what the directory has, a manual location is never replaced,
// and the status, the contact consent and a location obtained since are
// left to the directory keepers.
func MergeImported(existing, in *Actor) *Actor {
	m := *existing
	pick := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	pick(&m.Name, in.Name)
	if len(in.Sectors) > 0 {
		m.Sectors = in.Sectors
	}
	if in.LegalForm != (LegalForm{}) {
		m.LegalForm = in.LegalForm
	}
	pick(&m.Kind, in.Kind)
	pick(&m.NAF, in.NAF)
	pick(&m.SIRET, in.SIRET)
	pick(&m.Address.Street, in.Address.Street)
	pick(&m.Address.Postcode, in.Address.Postcode)
	pick(&m.Address.City, in.Address.City)
	pick(&m.Address.Citycode, in.Address.Citycode)
	pick(&m.Description, in.Description)
	pick(&m.Website, in.Website)
	pick(&m.Email, in.Email)
	pick(&m.Phone, in.Phone)
	pick(&m.Source, in.Source)
	pick(&m.ExternalID, in.ExternalID)
	for _, t := range []struct{ dst, src *[]string }{
		{&m.Networks, &in.Networks}, {&m.Projects, &in.Projects}, {&m.Expertise, &in.Expertise},
	} {
		if len(*t.src) > 0 {
			*t.dst = *t.src
		}
	}
	if in.Location != nil && existing.Geocoding.Source != LocationManual {
		p := *in.Location
		m.Location = &p
		m.Geocoding = in.Geocoding
	}
	return &m
}

// States of an import job.
const (
	JobRunning   = "running"
	JobDone      = "done"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// ImportJob is an import running in the background, or its end. Result is
// the import's report (JSON) once done.
type ImportJob struct {
	ID         int64      `json:"id"`
	Filename   string     `json:"filename"`
	DryRun     bool       `json:"dry_run"`
	State      string     `json:"state"`
	Error      string     `json:"error,omitempty"`
	Cancelling bool       `json:"cancelling,omitempty"`
	RowsRead   int        `json:"rows_read"`
	RowsStored int        `json:"rows_stored"`
	RowsFailed int        `json:"rows_failed"`
	BytesRead  int64      `json:"bytes_read"`
	BytesTotal int64      `json:"bytes_total"`
	Result     []byte     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}
