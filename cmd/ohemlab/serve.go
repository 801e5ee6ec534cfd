package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ohemlab/ohemlab/internal/banner"
	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/external"
	"github.com/ohemlab/ohemlab/web"
	"github.com/ohemlab/ohemlab/web/store"
)

// Serve defaults and limits.
const (
	defaultAddr     = "127.0.0.1:8080"
	maxViewersLimit = 100_000
	shutdownWait    = 5 * time.Second
	maxKeepRuns     = 1_000_000
	maxStoreMB      = 1 << 20
)

// serveFlags are the flags of "ohemlab serve".
type serveFlags struct {
	exp          expFlags
	addr         string
	storeDir     string
	noStore      bool
	keepRuns     int
	maxStoreMB   int
	controlToken string
	origins      originList
	hosts        hostList
	debug        bool
	maxViewers   int
	maxPerAddr   int
	large        bool
	paused       bool
	logLevel     string
	source       string
}

// newServeFlags returns the flag set of "ohemlab serve".
func newServeFlags() (*flag.FlagSet, *serveFlags) {
	fs := flag.NewFlagSet("ohemlab serve", flag.ContinueOnError)
	sf := &serveFlags{}
	sf.exp.register(fs)
	fs.StringVar(&sf.addr, "addr", defaultAddr, "listen address host:port (port 0 picks a free one); any non-loopback address requires a control token")
	fs.StringVar(&sf.storeDir, "store-dir", "", "folder of the saved-runs database (default: ohemlab under the user's state or config folder)")
	fs.BoolVar(&sf.noStore, "no-store", false, "do not save runs")
	fs.IntVar(&sf.keepRuns, "keep-runs", store.DefaultKeepRuns, fmt.Sprintf("most saved runs kept; beyond it the oldest are deleted, never the live one or a pinned one, in [1, %d]", maxKeepRuns))
	fs.IntVar(&sf.maxStoreMB, "max-store-mb", store.DefaultMaxStoreMB, fmt.Sprintf("most megabytes of saved runs kept; beyond it the oldest are deleted, never the live one or a pinned one, in [1, %d]", maxStoreMB))
	fs.StringVar(&sf.controlToken, "control-token", "", "secret that grants control, "+fmt.Sprint(minTokenLen)+"-"+fmt.Sprint(maxTokenLen)+" URL-safe characters (or env "+tokenEnv+"); generated when listening beyond loopback")
	fs.Var(&sf.origins, "allow-origin", "extra `origin` allowed to open the websocket and change things, e.g. https://lab.example.org (repeatable or comma separated)")
	fs.Var(&sf.hosts, "allow-host", "extra host `name` the server answers to besides its listening address and localhost, e.g. the name of a reverse proxy: lab.example.org or lab.example.org:8443 (repeatable or comma separated)")
	fs.BoolVar(&sf.debug, "debug", false, "serve the loopback-only /debug/ routes (pprof profiles and runtime figures, never the command line)")
	fs.IntVar(&sf.maxViewers, "max-viewers", web.DefaultMaxViewers, fmt.Sprintf("most websocket viewers at once, in [1, %d]", maxViewersLimit))
	fs.IntVar(&sf.maxPerAddr, "max-viewers-per-address", web.DefaultMaxViewersPerAddr, fmt.Sprintf("most websocket viewers from one client address at once, in [1, %d] (behind a reverse proxy every viewer has the proxy's address)", maxViewersLimit))
	fs.BoolVar(&sf.large, "large", false, "also print a URL that opens the page in large type, for projectors")
	fs.BoolVar(&sf.paused, "paused", false, "start with training paused")
	fs.StringVar(&sf.logLevel, "log-level", "warn", "log level on stderr: debug, info (one line per request), warn or error")
	fs.StringVar(&sf.source, "source", sourceBuiltin, "who trains: builtin (the Gorgonia loop) or external (your training script reports to POST /api/ingest; see clients/python)")
	return fs, sf
}

// check validates the serve command's own flags.
func (sf *serveFlags) check() error {
	if err := checkAddr(sf.addr); err != nil {
		return err
	}
	if sf.maxViewers < 1 || sf.maxViewers > maxViewersLimit {
		return usagef("--max-viewers: must be in [1, %d], got %d", maxViewersLimit, sf.maxViewers)
	}
	if sf.keepRuns < 1 || sf.keepRuns > maxKeepRuns {
		return usagef("--keep-runs: must be in [1, %d], got %d", maxKeepRuns, sf.keepRuns)
	}
	if sf.maxStoreMB < 1 || sf.maxStoreMB > maxStoreMB {
		return usagef("--max-store-mb: must be in [1, %d], got %d", maxStoreMB, sf.maxStoreMB)
	}
	if sf.maxPerAddr < 1 || sf.maxPerAddr > maxViewersLimit {
		return usagef("--max-viewers-per-address: must be in [1, %d], got %d", maxViewersLimit, sf.maxPerAddr)
	}
	if _, err := parseLevel(sf.logLevel); err != nil {
		return err
	}
	if sf.noStore && sf.storeDir != "" {
		return usagef("--no-store and --store-dir both set: give one of them")
	}
	return nil
}

// parseLevel parses --log-level.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, usagef("--log-level: must be debug, info, warn or error, got %q", s)
}

// runServe implements "ohemlab serve": the trainer in the background, the
// web server in front, the run store recording, until ctx is done.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, sf := newServeFlags()
	err := parseFlags(fs, args, func() {
		printFlagUsage(stdout, "ohemlab serve [flags]", "Start the dashboard and train the chosen experiment in the background.", fs)
	})
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	if err := sf.checkSource(fs); err != nil {
		return err
	}
	token, err := sf.token()
	if err != nil {
		return err
	}
	cfg, err := sf.exp.config()
	if err != nil {
		return err
	}
	cfg = withLecturePace(cfg, given(sf.exp.fs)["speed-cap"])
	if err := validateConfig(cfg); err != nil {
		return err
	}
	// MNIST decodes in the background: the page is served at once and the
	// trainer starts when the data is there.
	var loadInRun bool
	if sf.source != sourceExternal {
		if loadInRun, err = data.Prefetch(cfg.Data); err != nil {
			return loadError(err)
		}
	}
	level, _ := parseLevel(sf.logLevel)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	// Listen first: whether the address is loopback decides the token.
	host, _, _ := net.SplitHostPort(sf.addr)
	ln, err := net.Listen("tcp", sf.addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listening on %s: the port is in use (another ohemlab?): pick another with --addr, e.g. --addr 127.0.0.1:0", sf.addr)
	}
	if err != nil {
		return fmt.Errorf("listening on %s: %w", sf.addr, err)
	}
	defer ln.Close()
	where := describeListener(ln, host)
	if !where.Loopback && token == "" {
		if token, err = newToken(); err != nil {
			return err
		}
	}

	a, err := newApp(cfg, sf, token, logger, where.URL, loadInRun)
	if err != nil {
		return err
	}
	defer a.close()

	srv := &http.Server{
		Handler:           a.web.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	trainCtx, stopTraining := context.WithCancel(context.Background())
	defer stopTraining()
	trainErr := make(chan error, 1)
	go func() { trainErr <- a.trainer.Run(trainCtx) }()

	printBanner(stdout, where, token, sf.large)
	if sf.source == sourceExternal {
		printExternalBanner(stdout, where.URL, token)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("web server stopped: %w", err)
	case err := <-trainErr:
		trainErr <- err // for the shutdown below
		// Run returns only when cancelled: the dashboard cannot go on.
		if err == nil {
			reason := a.trainer.State().Reason
			if reason == "" {
				reason = "no reason given"
			}
			err = errors.New(reason)
		}
		runErr = fmt.Errorf("training stopped unexpectedly: %w", err)
	}
	fmt.Fprintln(stdout, "OHEM Lab shutting down")

	// Stop accepting and finish plain requests, tell every viewer that the
	// server is going away, stop training, then flush the store.
	sctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("http shutdown", "err", err)
		srv.Close()
	}
	a.web.Close()
	stopTraining()
	select {
	case err := <-trainErr:
		if err != nil && runErr == nil && !errors.Is(err, context.Canceled) {
			runErr = fmt.Errorf("training stopped: %w", err)
		}
	case <-sctx.Done():
		logger.Warn("the trainer did not stop in time")
	}
	if err := a.close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// token returns the control token from --control-token or the environment,
// checked, or "" when neither is set.
func (sf *serveFlags) token() (string, error) {
	if sf.controlToken != "" {
		return sf.controlToken, checkToken(sf.controlToken, "--control-token")
	}
	if t := os.Getenv(tokenEnv); t != "" {
		return t, checkToken(t, tokenEnv)
	}
	return "", nil
}

// printBanner prints where the dashboard is, in one write so that a reader
// that sees the listening line also sees the rest. The listening line is
// always "OHEM Lab listening on http://HOST:PORT/" (tests and scripts parse
// it). The token appears only in the presenter URL, on stdout, and nowhere
// else.
func printBanner(w io.Writer, where boundAddr, token string, large bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s\n", banner.Listening, where.URL)
	q := url.Values{}
	if large {
		q.Set("large", "1")
		fmt.Fprintf(&b, "Large type for projectors: %s?%s\n", where.URL, q.Encode())
	}
	if where.AllInterfaces {
		fmt.Fprintf(&b, "Listening on every interface, port %d.\n", where.Port)
		for _, u := range networkURLs(where.Port, 4) {
			fmt.Fprintf(&b, "Viewers on the network: %s\n", u)
		}
	}
	if token != "" {
		q.Set("token", token)
		fmt.Fprintf(&b, "Presenter URL (grants control, keep it to yourself): %s?%s\n", where.URL, q.Encode())
		b.WriteString("Everyone else is a read-only viewer.\n")
	}
	io.WriteString(w, b.String())
}

// app is the running pieces of serve.
type app struct {
	trainer  runner
	web      *web.Server
	store    *store.Store
	recorder *store.Recorder
	tmpDir   string // uploads folder removed on close, without a store
	closed   bool

	mu sync.Mutex // guards web for the recorder's OnPrune
}

// newApp builds the trainer, the run store and the web server and wires the
// trainer's events to both.
func newApp(cfg trainer.Config, sf *serveFlags, token string, logger *slog.Logger, url string, loadInRun bool) (*app, error) {
	a := &app{}
	var sinks fanout
	sink := &sinks // filled in below, before training starts
	var ext *external.Source
	if sf.source == sourceExternal {
		ext = external.New(external.Options{Sink: sink, Paused: sf.paused, Command: externalCommand(url, token != "")})
		a.trainer = ext
	} else {
		t, err := trainer.New(cfg, trainer.Options{Sink: sink, Paused: sf.paused, LoadInRun: loadInRun})
		if err != nil {
			return nil, loadError(err)
		}
		a.trainer = t
	}
	t := a.trainer
	var err error

	opts := web.Options{
		Trainer:           t,
		Logger:            logger,
		ControlToken:      token,
		AllowedOrigins:    sf.origins,
		AllowedHosts:      sf.hosts,
		Debug:             sf.debug,
		MaxViewers:        sf.maxViewers,
		MaxViewersPerAddr: sf.maxPerAddr,
	}
	if ext != nil {
		opts.Ingest = ext
	}
	if !sf.noStore {
		dir := sf.storeDir
		if dir == "" {
			if dir, err = store.DefaultDir(); err != nil {
				return nil, err
			}
		}
		if a.store, err = store.Open(dir); err != nil {
			return nil, err
		}
		a.recorder = a.store.NewRecorder(store.RecorderOptions{
			OnError: func(err error) { logger.Error("saving the run", "err", err) },
			Limits:  store.Limits{KeepRuns: sf.keepRuns, MaxBytes: int64(sf.maxStoreMB) << 20},
			OnPrune: func(deleted []int64) {
				logger.Info("deleted old runs to stay within --keep-runs and --max-store-mb", "runs", deleted)
				if w := a.webServer(); w != nil {
					w.CleanUploads() // uploads only the deleted runs used
				}
			},
		})
		if ext != nil {
			sinks = append(sinks, a.recorder) // a run starts when a trainer says hello
		} else {
			st := t.State()
			initial := &trainer.ConfigEvent{Version: st.Version, Step: st.Step, Config: st.Config, Reset: true}
			sinks = append(sinks, &resetFirst{next: a.recorder, initial: initial})
		}
		opts.Runs = a.store
		opts.UploadDir = filepath.Join(dir, "uploads")
	} else {
		// Uploads need a folder; without a store they live for this run only.
		if a.tmpDir, err = os.MkdirTemp("", "ohemlab-uploads-"); err != nil {
			return nil, fmt.Errorf("making a folder for uploads: %w", err)
		}
		opts.UploadDir = a.tmpDir
	}
	w, err := web.New(opts)
	if err != nil {
		a.close()
		return nil, err
	}
	a.mu.Lock()
	a.web = w
	a.mu.Unlock()
	sinks = append(sinks, a.web.Sink())
	return a, nil
}

// webServer returns the web server once newApp has made it.
func (a *app) webServer() *web.Server {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.web
}

// close stops the web server's hub, flushes and closes the store. It is safe
// to call more than once.
func (a *app) close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	if a.web != nil {
		a.web.Close()
	}
	var err error
	if a.recorder != nil {
		if e := a.recorder.Close(); e != nil {
			err = fmt.Errorf("saving the run: %w", e)
		}
	}
	if a.store != nil {
		if e := a.store.Close(); e != nil && err == nil {
			err = fmt.Errorf("closing the run store: %w", e)
		}
	}
	if a.tmpDir != "" {
		os.RemoveAll(a.tmpDir)
	}
	return err
}
