// Package web is OHEM Lab's HTTP server: the JSON API, the websocket hub
// that streams the trainer's events to every viewer, and the page routes.
// Only cmd wires it to a trainer; tests use fakes of Trainer.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"

	"github.com/ohemlab/ohemlab/trainer"
)

// Defaults of Options.
const (
	DefaultMaxViewers    = 2000
	DefaultControlRate   = 10.0 // messages per second
	DefaultControlBurst  = 20
	DefaultBatchInterval = 50 * time.Millisecond
	DefaultBatchBudget   = 4000 // batch-frame sends per second, all viewers together
	DefaultPingInterval  = 20 * time.Second
	DefaultPongWait      = 45 * time.Second
	DefaultWriteWait     = 10 * time.Second
	DefaultViewerQueue   = 256
	// MaxMessageBytes is the largest control message accepted, on the
	// websocket and by POST /api/control.
	MaxMessageBytes = 64 << 10
	// MaxUploadBytes is the largest CSV upload accepted.
	MaxUploadBytes = 32 << 20
)

// Options configure a Server. Only Trainer is required.
type Options struct {
	// Trainer is the training loop the server drives; required.
	Trainer Trainer
	// Logger receives request and connection logs; nil discards them.
	Logger *slog.Logger
	// ControlToken, when not empty, is required to control training;
	// viewers without it are read-only. Compared in constant time, never
	// logged or sent.
	ControlToken string
	// AllowedOrigins lists extra Origin values (e.g.
	// "https://lab.example.org") accepted on /ws and on state-changing
	// requests besides the server's own origin (--allow-origin).
	AllowedOrigins []string
	// AllowedHosts lists extra names the server answers to besides its
	// listening address, localhost, 127.0.0.1 and [::1] (--allow-host):
	// "name" with any port, or "name:port".
	AllowedHosts []string
	// MaxViewers caps the websocket connections (default 2000).
	MaxViewers int
	// MaxViewersPerAddr caps the websocket connections from one client
	// address (default 64); beyond it 503 as for MaxViewers.
	MaxViewersPerAddr int
	// BodyTimeout is how long a request body may take to arrive (default
	// 30 s); a stalled one is cut off. Websockets are not affected.
	BodyTimeout time.Duration
	// ControlRate and ControlBurst configure the per-connection token
	// bucket for control messages (defaults 10/s, burst 20).
	ControlRate  float64
	ControlBurst int
	// BatchInterval is the minimum time between two batch frames of one
	// arm to one viewer (default 50 ms: at most 20 per second).
	BatchInterval time.Duration
	// BatchBudget caps the batch-frame sends per second of all viewers
	// together (default 4000; negative = no cap): with many viewers each
	// one's interval grows to viewers/BatchBudget seconds, so that a
	// lecture hall of browsers cannot starve the trainer of CPU.
	BatchBudget int
	// PingInterval, PongWait and WriteWait are the websocket keep-alive
	// timings (defaults 20 s, 45 s, 10 s). PongWait must exceed
	// PingInterval.
	PingInterval, PongWait, WriteWait time.Duration
	// ViewerQueue bounds the frames (other than coalesced batch frames)
	// waiting for one viewer; a viewer beyond it is dropped (default 256).
	ViewerQueue int
	// Runs, when set, serves saved runs under /api/runs.
	Runs RunStore
	// UploadBurst and UploadEvery limit CSV uploads per client address:
	// bursts of UploadBurst, then one every UploadEvery (defaults 5, 10 s).
	UploadBurst int
	UploadEvery time.Duration
	// Debug serves the loopback-only /debug/ routes (pprof without
	// cmdline, runtime figures); off by default (--debug).
	Debug bool
	// UploadDir is where uploaded CSV files are kept; empty disables
	// POST /api/upload.
	UploadDir string
	// Ingest, when set, takes an external trainer's reports on
	// POST /api/ingest (serve --source external).
	Ingest Ingester
}

// Server is the OHEM Lab HTTP server. Create it with New, serve
// Handler(), give Sink() to the trainer and Close it on shutdown.
//
// The trainer takes its sink at trainer.New, before the Server (which needs
// the trainer as its Trainer) exists: give the trainer a forwarding sink and
// point it at Sink() once New has returned.
type Server struct {
	opts    Options
	trainer Trainer
	log     *slog.Logger
	hub     *hub
	handler http.Handler
	up      websocket.Upgrader
	httpLim *limiterMap
	// uploadLim limits uploads per client address.
	uploadLim *limiterMap
	// perAddr counts the viewers of each client address.
	perAddr *addrSlots
	// tokenLim throttles wrong control tokens per client address.
	tokenLim *limiterMap

	closeOnce sync.Once
}

// New checks opts, fills in defaults and returns a Server whose hub is
// running. Call Close to stop it.
func New(opts Options) (*Server, error) {
	if opts.Trainer == nil {
		return nil, errors.New("web: Options.Trainer is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxViewers == 0 {
		opts.MaxViewers = DefaultMaxViewers
	}
	if opts.MaxViewersPerAddr == 0 {
		opts.MaxViewersPerAddr = DefaultMaxViewersPerAddr
	}
	if opts.UploadBurst == 0 {
		opts.UploadBurst = DefaultUploadBurst
	}
	if opts.UploadEvery == 0 {
		opts.UploadEvery = DefaultUploadEvery
	}
	if opts.BodyTimeout == 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	if opts.ControlRate == 0 {
		opts.ControlRate = DefaultControlRate
	}
	if opts.ControlBurst == 0 {
		opts.ControlBurst = DefaultControlBurst
	}
	if opts.BatchInterval == 0 {
		opts.BatchInterval = DefaultBatchInterval
	}
	if opts.BatchBudget == 0 {
		opts.BatchBudget = DefaultBatchBudget
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.PongWait == 0 {
		opts.PongWait = DefaultPongWait
	}
	if opts.WriteWait == 0 {
		opts.WriteWait = DefaultWriteWait
	}
	if opts.ViewerQueue == 0 {
		opts.ViewerQueue = DefaultViewerQueue
	}
	switch {
	case opts.MaxViewers < 0 || opts.MaxViewersPerAddr < 0:
		return nil, errors.New("web: MaxViewers and MaxViewersPerAddr must not be negative")
	case opts.BodyTimeout < 0:
		return nil, errors.New("web: BodyTimeout must not be negative")
	case opts.ControlRate < 0 || opts.ControlBurst < 0:
		return nil, errors.New("web: ControlRate and ControlBurst must not be negative")
	case opts.BatchInterval < 0 || opts.PingInterval < 0 || opts.WriteWait < 0:
		return nil, errors.New("web: intervals must not be negative")
	case opts.PongWait <= opts.PingInterval:
		return nil, errors.New("web: PongWait must exceed PingInterval")
	case opts.ViewerQueue < 8:
		return nil, errors.New("web: ViewerQueue must be at least 8")
	}
	s := &Server{opts: opts, trainer: opts.Trainer, log: opts.Logger}
	s.up = websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 16384}
	// The guard has checked the Origin already; the upgrader checks again
	// with the same rule.
	s.up.CheckOrigin = func(r *http.Request) bool {
		o := r.Header.Get("Origin")
		return o == "" || s.originOK(o, r)
	}
	s.httpLim = newLimiterMap(opts.ControlRate, opts.ControlBurst)
	s.tokenLim = newLimiterMap(wrongTokenRate, wrongTokenBurst)
	s.perAddr = newAddrSlots(opts.MaxViewersPerAddr)
	s.uploadLim = newLimiterMap(1/opts.UploadEvery.Seconds(), opts.UploadBurst)
	s.hub = newHub(s)
	s.handler = s.routes()
	go s.hub.run()
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Sink returns the trainer.Sink the trainer publishes to. Its Publish
// never blocks.
func (s *Server) Sink() trainer.Sink { return trainer.SinkFunc(s.Publish) }

// Publish hands one trainer event to the hub. It never blocks: the hub
// builds and fans out frames on its own goroutine.
func (s *Server) Publish(e trainer.Event) { s.hub.publish(e) }

// Close stops the hub and closes every websocket with a "going away" close
// frame, waiting for their goroutines. http.Server.Shutdown does not close
// hijacked connections, so call Close as part of shutting down. It is safe
// to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(s.hub.close)
}

// batchInterval is the current minimum time between two batch sends to
// one viewer: BatchInterval, or longer when BatchBudget would be exceeded.
func (s *Server) batchInterval() time.Duration {
	iv := s.opts.BatchInterval
	if s.opts.BatchBudget > 0 {
		if d := time.Duration(s.hub.nconn.Load()) * time.Second / time.Duration(s.opts.BatchBudget); d > iv {
			iv = d
		}
	}
	return iv
}

// State returns the trainer's current state.
func (s *Server) State() trainer.State { return s.publicState(s.trainer.State()) }

// Trainer returns the trainer the server drives.
func (s *Server) Trainer() Trainer { return s.trainer }

// Runs returns the saved-runs store, or nil.
func (s *Server) Runs() RunStore { return s.opts.Runs }

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// Viewers returns the number of connected websocket viewers.
func (s *Server) Viewers() int { return s.hub.count() }

// Roles a request or connection may have.
const (
	RoleControl = "control"
	RoleViewer  = "viewer"
)

// Role returns RoleControl when r may control training (no token is
// configured, or r carries it as the token query parameter, an
// "Authorization: Bearer" header, an X-Control-Token header or the token
// cookie) and RoleViewer otherwise. Wrong tokens are throttled per client
// address (see auth.go).
func (s *Server) Role(r *http.Request) string {
	if s.opts.ControlToken == "" || s.tokenFrom(requestToken(r), r.RemoteAddr) {
		return RoleControl
	}
	return RoleViewer
}

// routes builds the router.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverer, s.requestLogger, s.guard, s.bodyDeadline)
	r.Get("/healthz", s.serveHealth)
	r.Get("/ws", s.serveWS)
	r.Route("/api", func(r chi.Router) {
		r.Get("/state", s.serveState)
		r.Post("/control", s.serveControl)
		r.Get("/history", s.serveHistory)
		r.Get("/examples/{file}", s.serveThumb)
		r.Get("/example/{id}", s.serveExample)
		r.Get("/datamap", s.serveDataMap)
		r.Post("/upload", s.serveUpload)
		r.Post("/ingest", s.serveIngest)
		if s.opts.Runs != nil {
			s.mountRuns(r)
		}
	})
	r.Method(http.MethodGet, "/static/*", s.staticHandler())
	r.Method(http.MethodHead, "/static/*", s.staticHandler())
	s.mountDebug(r)
	mountPages(r, s)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such page: "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path)
	})
	return r
}
