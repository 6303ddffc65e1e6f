// Package handlers is maillage's HTTP surface: the JSON API, the exports
// and the web page, on Echo v5.
package handlers

import (
	"context"
	"crypto/rand"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/maillage/maillage/geo"
	"github.com/maillage/maillage/handlers/ogc"
	"github.com/maillage/maillage/tiles"
)

// ActorStore finds and changes actors.
type ActorStore interface {
	FindActors(ctx context.Context, f geo.ActorFilter) ([]*geo.Actor, int, error)
	FindActorByID(ctx context.Context, id int64) (*geo.Actor, error)
	EachActor(ctx context.Context, f geo.ActorFilter, fn func(*geo.Actor) error) error
	CountActors(ctx context.Context, f geo.ActorFilter) (int, error)
	FacetActors(ctx context.Context, f geo.ActorFilter) (*geo.ActorFacets, error)
	CreateActor(ctx context.Context, a *geo.Actor) error
	UpdateActor(ctx context.Context, id int64, upd geo.ActorUpdate) (*geo.Actor, error)
	DeleteActor(ctx context.Context, id int64) error
	Attributions(ctx context.Context) (map[string]string, error)
	ProposeSectors(ctx context.Context, sectors []geo.Sector) ([]geo.SectorProposal, error)
	ApplySectorProposals(ctx context.Context, ps []geo.SectorProposal) (int, error)
}

// SectorStore finds and changes sectors.
type SectorStore interface {
	FindSectors(ctx context.Context) ([]geo.Sector, error)
	FindSector(ctx context.Context, slug string) (*geo.Sector, error)
	CreateSector(ctx context.Context, s *geo.Sector) error
	UpdateSector(ctx context.Context, slug string, upd geo.SectorUpdate) (*geo.Sector, error)
	DeleteSector(ctx context.Context, slug string) error
}

// Authenticator tells which keeper holds a bearer token.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*geo.Keeper, error)
}

// Pinger answers whether the database is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options are the server's limits and settings, with defaults in
// DefaultOptions.
type Options struct {
	FormKey            []byte          // signs the suggestion forms' tokens: the same on every server of a database (nil: random)
	MaxBodyBytes       int64           // JSON request bodies
	MaxImportBytes     int64           // uploaded import files
	ImportSyncMax      int64           // larger import files run as jobs (202 and GET /api/imports/{id})
	GeoJSONMax         int             // hard cap on features in /api/actors.geojson
	PageMax            int             // largest page of /api/actors
	RequestTimeout     time.Duration   // deadline of a request; past it 503; 0: none
	LongRequestTimeout time.Duration   // deadline of imports and exports
	HeavyExports       int             // concurrent /api/actors.csv and .geojson; past it 503; 0: no limit
	TrustedProxies     []*net.IPNet    // X-Forwarded-For is read only from these peers
	PublicURL          *url.URL        // origin (and path prefix) of the links the server gives; nil: the request's Host
	Page               PageConfig      // settings passed to the web page
	Frontend           fs.FS           // the built page; nil or without index.html shows a notice
	LegalForms         *geo.LegalForms // reads legal forms given as codes or labels; nil knows common names only
	DefaultSector      string          // sector of imported rows naming none: cannot be renamed or deleted
	Now                func() time.Time

	TileActorZoom    int    // first zoom of single actors, clusters below (at most tiles.ClusterZooms)
	TileMaxZoom      int    // deepest zoom of /tiles/actors
	TileCacheControl string // Cache-Control of tiles and TileJSON
	TileGzip         bool   // tiles cached gzipped and sent so to clients that accept it; false: raw, as before

	GeocodePerMinute int // requests to /api/geocode per client IP and minute; 0: no limit

	SuggestionsPerMinute int           // suggestions per client IP and minute (bursts of a quarter); 0: no limit
	SuggestionMinFill    time.Duration // a suggestion sent sooner after its form is dropped

	SessionTTL          time.Duration // life of a signed-in session
	SignInFailures      int           // wrong passwords per account in SignInWindow before 429; 0: no limit
	SignInFailuresPerIP int           // wrong passwords per client IP in SignInWindow before 429; 0: no limit
	SignInWindow        time.Duration // the window of those counts

	WorkshopJoinFailures int           // wrong join codes per client IP and minute before 429; 0: no limit
	WorkshopStreamsPerIP int           // concurrent workshop event streams per client IP; 0: no limit
	WorkshopHeartbeat    time.Duration // comment sent on idle event streams
}

// PageConfig is what the web page reads from the server.
type PageConfig struct {
	BasemapURL         string `json:"basemapURL"`
	BasemapAttribution string `json:"basemapAttribution"`
}

// DefaultOptions returns the limits used when nothing is configured.
func DefaultOptions() Options {
	return Options{
		MaxBodyBytes:       1 << 20,
		MaxImportBytes:     50 << 20,
		ImportSyncMax:      1 << 20,
		GeoJSONMax:         10000,
		PageMax:            500,
		DefaultSector:      "autres",
		HeavyExports:       4,
		RequestTimeout:     15 * time.Second,
		LongRequestTimeout: 5 * time.Minute,
		Page: PageConfig{
			BasemapURL:         "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
			BasemapAttribution: "© contributeurs OpenStreetMap",
		},
		Now: time.Now,

		TileActorZoom:    tiles.ClusterZooms,
		TileMaxZoom:      tiles.MaxZoom,
		TileCacheControl: "public, max-age=60",
		TileGzip:         true,

		GeocodePerMinute: 60,

		SuggestionsPerMinute: 8,
		SuggestionMinFill:    3 * time.Second,

		SessionTTL:          12 * time.Hour,
		SignInFailures:      10,
		SignInFailuresPerIP: 50,
		SignInWindow:        15 * time.Minute,

		WorkshopJoinFailures: 10,
		WorkshopStreamsPerIP: 200, // a whole room behind one address
		WorkshopHeartbeat:    15 * time.Second,
	}
}

// Deps are the server's dependencies, each named, so that a new one is a
// new line here and at the one call of NewServer.
type Deps struct {
	Actors   ActorStore
	Sectors  SectorStore
	Auth     Authenticator
	Importer Importer
	Imports  ImportJobStore // import jobs; nil: every import answers synchronously
	DB       Pinger

	Tiles     TileStore    // vector tiles of actors
	TileCache *tiles.Cache // recent tiles; nil caches nothing
	Nearby    NearbyFinder // nearest actors

	Geocoder  geo.Geocoder   // answers GET /api/geocode; nil: 503
	Geocoding GeocodingStore // review queue of geocoded actors

	// Unavailable tells an error of a database that cannot answer now
	// (down, shutting down, past statement_timeout) from a bug, for 503
	// rather than 500; nil knows deadlines only.
	Unavailable func(error) bool

	Workshops      WorkshopStore       // workshops, annotations, votes and their events
	WorkshopEvents WorkshopEventSource // live events of this process; nil: 503 on event streams

	History     HistoryStore    // the history of actors (audit_log)
	Suggestions SuggestionStore // the public's suggestions; nil: 503 on their routes
	Users       UserStore       // accounts and sessions; nil: nobody signs in
	Mailer      Mailer          // sends password links; nil: admins give them with the CLI

	Territories       TerritoryStore     // communes, EPCI, départements, regions
	TerritoryImporter TerritoryImporter  // files of territories
	TerritoryTiles    TerritoryTileStore // vector tiles of territories
	Coverage          CoverageStore      // coverage of territories by actors
	Territory         Zone               // the configured territory, whose outside writes are warned of; nil: France only
	Features          ogc.Store          // the feature collections of /ogc; nil: no /ogc
}

// Zone gives the areas of the configured territory.
type Zone interface {
	Areas(ctx context.Context) ([]geo.Area, error)
}

// Server serves maillage's HTTP API and page.
type Server struct {
	Deps
	echo   *echo.Echo
	logger *slog.Logger
	opts   Options
	jobs   importJobs
	heavy  chan struct{} // one token per heavy export running; nil: no limit

	signIns *signInLimits
	formKey []byte // signs the form tokens of suggestions
}

// NewServer returns a server on the given dependencies and options.
func NewServer(logger *slog.Logger, deps Deps, opts Options) *Server {
	s := &Server{
		Deps:   deps,
		echo:   echo.New(),
		logger: logger,
		opts:   opts,
	}
	s.signIns = newSignInLimits(opts)
	s.formKey = opts.FormKey
	if s.formKey == nil { // a lone server, as in tests
		s.formKey = make([]byte, 32)
		rand.Read(s.formKey)
	}
	s.jobs.ctx, s.jobs.stop = context.WithCancel(context.Background())
	if opts.HeavyExports > 0 {
		s.heavy = make(chan struct{}, opts.HeavyExports)
	}
	s.echo.Logger = logger
	s.echo.HTTPErrorHandler = s.errorHandler
	s.echo.IPExtractor = echo.ExtractIPDirect()
	if len(opts.TrustedProxies) > 0 {
		trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range opts.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(n))
		}
		s.echo.IPExtractor = echo.ExtractIPFromXFFHeader(trust...)
	}
	s.routes()
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.echo.ServeHTTP(w, r)
}

// HTTPServer returns an http.Server for s on addr with timeouts set, so
// that slow or idle clients cannot hold connections forever.
func (s *Server) HTTPServer(addr string) *http.Server {
	write := max(5*time.Minute, s.opts.LongRequestTimeout+10*time.Second)
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large imports over slow links
		WriteTimeout:      write,           // large exports
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
}
