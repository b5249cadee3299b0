package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"aead.dev/minisign"
	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/registry"
)

// newRegistryCmd is the registry group: serve, add, list, remove, token,
// fetch and owners. login, logout, publish, search, info, yank and keygen
// are top-level commands (publish.go).
func newRegistryCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Run a component registry, or configure the registries meta talks to",
		Long: `A registry serves component versions so that resolution needs no clone:
a Cargo-style sparse index (one file of JSON lines per package) and
content-addressed tarballs over plain HTTP, plus a small JSON API for
publishing, yanking, searching and owners.

Registries are named. 'meta registry add' stores names in
$XDG_CONFIG_HOME/meta/registries.yaml; the workspace manifest's
'registries:' are seen too (the user's file wins on a clash). Commands
use the registry named 'default' unless given --registry NAME.`,
		Example: `  meta registry serve --addr 127.0.0.1:7878 --storage /srv/meta-registry
  meta registry token create --storage /srv/meta-registry --owner alice
  meta registry add default http://127.0.0.1:7878
  meta registry list --json`,
	}
	cmd.AddCommand(
		newRegistryServeCmd(a),
		newRegistryTokenCmd(a),
		newRegistryAddCmd(a),
		newRegistryListCmd(a),
		newRegistryRemoveCmd(a),
		newRegistryFetchCmd(a),
		newRegistryOwnersCmd(a),
	)
	return cmd
}

// openRegistryStorage opens the server's storage: a directory or an
// s3:// bucket. The Bazel HTTP protocol cannot list, so it cannot hold a
// registry.
func openRegistryStorage(ctx context.Context, url string) (backend.Backend, error) {
	if url == "" {
		return nil, usagef("e.g. --storage /srv/meta-registry or --storage s3://bucket/registry?endpoint=...", "--storage is required")
	}
	if strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://") {
		return nil, usagef("use a directory or an s3:// URL", "--storage %s: a Bazel HTTP cache cannot hold a registry (it cannot list keys)", url)
	}
	st, err := backend.Open(ctx, url, backend.Options{})
	if err != nil {
		return nil, fmt.Errorf("registry storage: %w", err)
	}
	return st, nil
}

func newRegistryServeCmd(a *app) *cobra.Command {
	var (
		addr, storage, publicURL, addrFile, maxUpload, maxUnpacked string
		rate                                                       float64
		burst                                                      int
		quiet                                                      bool
		refresh                                                    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a registry over HTTP until interrupted",
		Long: `Serve the sparse index under /index/, tarballs under /dl/<sha256> and the
JSON API under /api/v1/. Each request is logged to stderr as one line.
SIGINT or SIGTERM stops accepting connections and lets requests in flight
finish. Tokens are made with 'meta registry token create'.`,
		Example: `  meta registry serve --addr 127.0.0.1:7878 --storage ./registry-data
  meta registry serve --addr 0.0.0.0:443 --storage 's3://meta/registry?endpoint=http://127.0.0.1:7070&region=us-east-1' --public-url https://registry.acme.dev
  meta registry serve --addr 127.0.0.1:0 --storage ./data --addr-file ./addr   # pick a free port`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			limit := int64(registry.DefaultMaxUpload)
			if maxUpload != "" {
				n, err := manifest.ParseSize(maxUpload)
				if err != nil || n <= 0 {
					return usagef("e.g. --max-upload 50MiB", "--max-upload %q: not a size", maxUpload)
				}
				limit = n
			}
			unpacked, err := manifest.ParseSize(maxUnpacked)
			if err != nil || unpacked <= 0 {
				return usagef("e.g. --max-unpacked 1GiB", "--max-unpacked %q: not a size", maxUnpacked)
			}
			if publicURL != "" {
				if err := registry.CheckURL(publicURL); err != nil {
					return usagef("", "--public-url: %v", err)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			st, err := openRegistryStorage(ctx, storage)
			if err != nil {
				return err
			}
			var logMu sync.Mutex
			logf := func(r registry.RequestLog) {
				logMu.Lock()
				defer logMu.Unlock()
				fmt.Fprintf(a.errw(), "%s %s %s %s %d %dB %s\n", time.Now().UTC().Format(time.RFC3339), r.Remote, r.Method, r.Path, r.Status, r.Bytes, r.Duration.Round(time.Microsecond))
			}
			opts := registry.ServerOptions{MaxUpload: limit, MaxUnpacked: unpacked, Rate: rate, Burst: burst, PublicURL: publicURL, Log: logf}
			if quiet {
				opts.Log = nil
			}
			srv, err := registry.NewServer(ctx, st, opts)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return failf("choose another --addr, or stop what holds the port", "listen on %s: %v", addr, err)
			}
			url := "http://" + ln.Addr().String()
			if addrFile != "" {
				if err := writeFileAtomic(addrFile, []byte(url+"\n"), 0o644); err != nil {
					ln.Close()
					return fmt.Errorf("--addr-file: %w", err)
				}
			}
			if refresh > 0 {
				// Other servers may share the storage: pick up what they write.
				go func() {
					t := time.NewTicker(refresh)
					defer t.Stop()
					for {
						select {
						case <-ctx.Done():
							return
						case <-t.C:
							if err := srv.Refresh(ctx); err != nil && ctx.Err() == nil {
								logMu.Lock()
								a.warnf("%v", err)
								logMu.Unlock()
							}
						}
					}
				}()
			}
			fmt.Fprintf(a.errw(), "meta registry: serving %s from %s (%s)\n", url, st, plural(len(srv.Packages()), "package"))
			if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			fmt.Fprintln(a.errw(), "meta registry: stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:7878", "listen on `HOST:PORT` (port 0 picks a free one)")
	f.StringVar(&storage, "storage", "", "where the registry keeps its data: a `DIR` or an s3:// URL")
	f.StringVar(&publicURL, "public-url", "", "base `URL` clients use, for /index/config.json (default: the address a request arrived on, never its Host header)")
	f.StringVar(&addrFile, "addr-file", "", "write the registry's URL to `FILE` once listening")
	f.StringVar(&maxUpload, "max-upload", "50MiB", "largest tarball accepted (`SIZE`); larger uploads get 413")
	f.StringVar(&maxUnpacked, "max-unpacked", "1GiB", "largest size a tarball may inflate to (`SIZE`); larger ones get 400")
	f.Float64Var(&rate, "rate", 10, "authenticated requests per second allowed per token (0: unlimited)")
	f.IntVar(&burst, "burst", 30, "requests a token may make at once before --rate applies")
	f.BoolVar(&quiet, "quiet", false, "do not log each request")
	f.DurationVar(&refresh, "refresh", 30*time.Second, "re-read the storage this often, for servers sharing it (0: never)")
	return cmd
}

func newRegistryTokenCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "token",
		Short:   "Manage the tokens a registry accepts",
		Example: `  meta registry token create --storage /srv/meta-registry --owner alice`,
	}
	var storage, owner string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a token for an owner and print it once",
		Long: `Create a random token, store only its SHA-256 in the registry's storage,
and print the token. It cannot be shown again. Give it to its owner, who
runs 'meta login' with it. Publishing a new package makes the token's owner
the package's owner.`,
		Example: `  meta registry token create --storage ./registry-data --owner alice
  meta registry token create --storage ./registry-data --owner ci | meta login`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if owner == "" {
				owner = strings.ToLower(os.Getenv("USER"))
			}
			if err := registry.ValidateOwner(owner); err != nil {
				return usagef("name the owner with --owner NAME (lowercase letters, digits, - and _)", "%v", err)
			}
			st, err := openRegistryStorage(cmd.Context(), storage)
			if err != nil {
				return err
			}
			tok, err := registry.CreateToken(cmd.Context(), st, owner, rand.Reader)
			if err != nil {
				return err
			}
			a.printf("%s\n", tok)
			fmt.Fprintf(a.errw(), "meta: token for %s created; it is shown only this once\nhint: the owner runs 'meta login --registry NAME' and pastes it\n", owner)
			return nil
		},
	}
	create.Flags().StringVar(&storage, "storage", "", "the registry's storage: a `DIR` or an s3:// URL")
	create.Flags().StringVar(&owner, "owner", "", "the `NAME` the token acts as (default: $USER)")
	cmd.AddCommand(create)
	return cmd
}

// registryRef is a configured registry as commands see it.
type registryRef struct {
	Name        string   `json:"name"`
	URL         string   `json:"url"`
	Source      string   `json:"source"` // "user config" or the manifest file
	TrustedKeys []string `json:"trusted_keys,omitempty"`
	LoggedIn    bool     `json:"logged_in"`
}

// registryPaths are the user's registry files.
func (a *app) registryPaths() (registry.Paths, error) {
	p, err := registry.DefaultPaths(os.Getenv)
	if err != nil {
		return p, failf("set HOME or XDG_CONFIG_HOME", "%v", err)
	}
	return p, nil
}

// workspaceRegistries returns the registries of the workspace manifest
// around the working directory, if there is one.
func (a *app) workspaceRegistries() (map[string]manifest.Registry, string, error) {
	wd, err := a.workdir()
	if err != nil {
		return nil, "", err
	}
	root, err := manifest.Find(wd)
	if errors.Is(err, manifest.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	m, err := manifest.Load(root)
	if err != nil {
		return nil, "", withHint(err, "fix the manifest, or run from outside the workspace")
	}
	return m.Registries, m.File, nil
}

// registries merges the user's registries.yaml with the workspace's.
func (a *app) registries() (map[string]*registryRef, registry.Paths, error) {
	paths, err := a.registryPaths()
	if err != nil {
		return nil, paths, err
	}
	out := map[string]*registryRef{}
	ws, wsFile, err := a.workspaceRegistries()
	if err != nil {
		return nil, paths, err
	}
	for name, r := range ws {
		out[name] = &registryRef{Name: name, URL: r.URL, Source: wsFile, TrustedKeys: r.TrustedKeys}
	}
	user, err := registry.LoadRegistries(paths.Registries)
	if err != nil {
		return nil, paths, withHint(err, "fix or remove "+paths.Registries)
	}
	for name, u := range user {
		ref := &registryRef{Name: name, URL: u, Source: "user config"}
		// The workspace's trusted keys stay in force when a user points the
		// name elsewhere (a mirror serves the same signed tarballs).
		if w, ok := out[name]; ok {
			ref.TrustedKeys = w.TrustedKeys
		}
		out[name] = ref
	}
	return out, paths, nil
}

// pickRegistry finds the named registry ("default" when empty).
func (a *app) pickRegistry(name string) (*registryRef, registry.Paths, error) {
	regs, paths, err := a.registries()
	if err != nil {
		return nil, paths, err
	}
	if name == "" {
		name = "default"
	}
	r, ok := regs[name]
	if !ok {
		hint := fmt.Sprintf("add it: meta registry add %s URL", name)
		if len(regs) > 0 {
			var names []string
			for n := range regs {
				names = append(names, n)
			}
			sort.Strings(names)
			hint += " (known: " + strings.Join(names, ", ") + ")"
		}
		return nil, paths, usagef(hint, "no registry named %q", name)
	}
	return r, paths, nil
}

// registryClient builds a client for the named registry, with the user's
// token when there is one (META_REGISTRY_TOKEN overrides it).
func (a *app) registryClient(name string) (*registry.Client, *registryRef, error) {
	r, paths, err := a.pickRegistry(name)
	if err != nil {
		return nil, nil, err
	}
	tok := os.Getenv("META_REGISTRY_TOKEN")
	if tok == "" {
		creds, err := registry.LoadCredentials(paths.Credentials)
		if err != nil {
			return nil, nil, credentialsError(err)
		}
		tok = creds[strings.TrimSuffix(r.URL, "/")]
	}
	r.LoggedIn = tok != ""
	c := &registry.Client{
		URL:      r.URL,
		Token:    tok,
		HTTP:     &http.Client{Timeout: 10 * time.Minute},
		CacheDir: paths.CacheDirFor(r.URL),
		Warn:     func(msg string) { a.warnf("%s", msg) },
	}
	return c, r, nil
}

func credentialsError(err error) error {
	var pe *registry.CredentialsPermError
	if errors.As(err, &pe) {
		return failf(fmt.Sprintf("chmod 600 %s", pe.File), "%v", err)
	}
	return err
}

// registryError adds the next step to an API error.
func registryError(err error, r *registryRef) error {
	var ae *registry.APIError
	if errors.As(err, &ae) {
		msg := fmt.Errorf("registry %s: %s", r.Name, ae.Detail)
		switch ae.Status {
		case http.StatusUnauthorized:
			return failf(fmt.Sprintf("log in: meta login --registry %s (get a token from the registry's operator)", r.Name), "%v", msg)
		case http.StatusForbidden:
			return failf("ask an owner to add you: meta registry owners NAME --add USER", "%v", msg)
		case http.StatusConflict:
			return failf("published versions never change: tag and publish a new version", "%v", msg)
		case http.StatusTooManyRequests:
			return failf("wait a moment and retry", "%v", msg)
		case http.StatusRequestEntityTooLarge:
			return failf("shrink the component (export-ignore large files in .gitattributes) or ask for a larger --max-upload", "%v", msg)
		}
		return fmt.Errorf("%v (HTTP %d)", msg, ae.Status)
	}
	var ce *registry.ChecksumError
	if errors.As(err, &ce) {
		return failf("nothing was written; tell the registry's operator", "%v", err)
	}
	if errors.Is(err, registry.ErrPackageNotFound) {
		return failf(fmt.Sprintf("search for it: meta search NAME --registry %s", r.Name), "%v", err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return failf("is the registry running? check 'meta registry list'", "registry %s (%s): %v", r.Name, r.URL, err)
	}
	return err
}

func newRegistryAddCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "add NAME URL",
		Short: "Remember a registry under a name",
		Example: `  meta registry add default https://registry.acme.dev
  meta registry add local http://127.0.0.1:7878`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, url := args[0], strings.TrimSuffix(args[1], "/")
			if err := manifest.CheckName(name); err != nil {
				return usagef("", "registry name %q: %v", name, err)
			}
			if err := registry.CheckURL(url); err != nil {
				return usagef("give the registry's base URL, e.g. https://registry.acme.dev", "%v", err)
			}
			paths, err := a.registryPaths()
			if err != nil {
				return err
			}
			regs, err := registry.LoadRegistries(paths.Registries)
			if err != nil {
				return err
			}
			old, had := regs[name]
			regs[name] = url
			if err := registry.SaveRegistries(paths.Registries, regs); err != nil {
				return err
			}
			switch {
			case had && old != url:
				a.printf("registry %s: %s (was %s)\n", name, url, old)
			default:
				a.printf("registry %s: %s\n", name, url)
			}
			return nil
		},
	}
}

func newRegistryListCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the registries meta knows, and whether you are logged in",
		Example: "  meta registry list\n  meta registry list --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			regs, paths, err := a.registries()
			if err != nil {
				return err
			}
			creds, err := registry.LoadCredentials(paths.Credentials)
			if err != nil {
				return credentialsError(err)
			}
			list := make([]*registryRef, 0, len(regs))
			for _, r := range regs {
				r.LoggedIn = creds[strings.TrimSuffix(r.URL, "/")] != ""
				list = append(list, r)
			}
			sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
			if asJSON {
				return a.printJSON(list)
			}
			if len(list) == 0 {
				a.printf("no registries; add one with: meta registry add default URL\n")
				return nil
			}
			for _, r := range list {
				login := ""
				if r.LoggedIn {
					login = " (logged in)"
				}
				a.printf("%-12s %s  [%s]%s\n", r.Name, r.URL, r.Source, login)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newRegistryRemoveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME",
		Short:   "Forget a registry added with 'meta registry add'",
		Example: "  meta registry remove local",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			paths, err := a.registryPaths()
			if err != nil {
				return err
			}
			regs, err := registry.LoadRegistries(paths.Registries)
			if err != nil {
				return err
			}
			if _, ok := regs[args[0]]; !ok {
				ws, file, _ := a.workspaceRegistries()
				if _, inWS := ws[args[0]]; inWS {
					return usagef("edit 'registries:' in "+file, "registry %q comes from the workspace manifest", args[0])
				}
				return usagef("see 'meta registry list'", "no registry named %q in %s", args[0], paths.Registries)
			}
			delete(regs, args[0])
			if err := registry.SaveRegistries(paths.Registries, regs); err != nil {
				return err
			}
			a.printf("removed registry %s\n", args[0])
			return nil
		},
	}
}

// parseNameVersion splits NAME[@VERSION].
func parseNameVersion(arg string, needVersion bool) (string, string, error) {
	name, vers, hasVers := strings.Cut(arg, "@")
	if err := registry.ValidateName(name); err != nil {
		return "", "", usagef("", "%v", err)
	}
	if needVersion && !hasVers {
		return "", "", usagef("write NAME@VERSION, e.g. auth-lib@1.2.0", "%q names no version", arg)
	}
	if hasVers {
		vers = strings.TrimPrefix(vers, "v")
		if _, err := registry.ParseVersion(vers); err != nil {
			return "", "", usagef("write NAME@VERSION, e.g. auth-lib@1.2.0", "%v", err)
		}
	}
	return name, vers, nil
}

func newRegistryFetchCmd(a *app) *cobra.Command {
	var regName, output string
	var keys []string
	cmd := &cobra.Command{
		Use:   "fetch NAME@VERSION",
		Short: "Download a version's tarball, verifying its checksum and signature",
		Long: `Download a version's tarball. The SHA-256 is always checked against the
index; the minisign signature is checked when the registry's entry in the
workspace manifest lists trusted_keys, or when --trusted-key is given.`,
		Example: `  meta registry fetch auth-lib@1.2.0
  meta registry fetch auth-lib@1.2.0 --output /tmp/auth-lib.tar.gz --trusted-key RWQ...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, vers, err := parseNameVersion(args[0], true)
			if err != nil {
				return err
			}
			c, ref, err := a.registryClient(regName)
			if err != nil {
				return err
			}
			var trusted []minisign.PublicKey
			wd, err := a.workdir()
			if err != nil {
				return err
			}
			all := slices.Clone(ref.TrustedKeys)
			for _, k := range keys {
				// A --trusted-key may name a minisign .pub file instead.
				f := k
				if !filepath.IsAbs(f) {
					f = filepath.Join(wd, f)
				}
				if data, err := os.ReadFile(f); err == nil {
					k = string(data)
				}
				all = append(all, k)
			}
			for _, k := range all {
				pk, err := registry.ParsePublicKey(k)
				if err != nil {
					return usagef("a trusted key is the one-line public key 'meta keygen' prints", "trusted key %q: %v", k, err)
				}
				trusted = append(trusted, pk)
			}
			ctx := cmd.Context()
			entries, err := c.Index(ctx, name)
			if err != nil {
				return registryError(err, ref)
			}
			var e *registry.IndexEntry
			for i := range entries {
				if entries[i].Vers == vers {
					e = &entries[i]
				}
			}
			if e == nil {
				return failf(fmt.Sprintf("see the versions: meta info %s", name), "%s has no version %s in registry %s", name, vers, ref.Name)
			}
			if e.Yanked {
				a.warnf("%s@%s is yanked", name, vers)
			}
			data, err := c.Download(ctx, *e)
			if err != nil {
				return registryError(err, ref)
			}
			if err := registry.VerifySignature(*e, data, trusted); err != nil {
				return failf("do not use this tarball; ask the publisher", "%s@%s: %v", name, vers, err)
			}
			if output == "" {
				output = fmt.Sprintf("%s-%s.tar.gz", name, vers)
			}
			if !filepath.IsAbs(output) {
				output = filepath.Join(wd, output)
			}
			if err := writeFileAtomic(output, data, 0o644); err != nil {
				return err
			}
			signed := "checksum verified"
			if len(trusted) > 0 {
				signed += ", signature verified"
			}
			a.printf("%s@%s -> %s (%s)\n", name, vers, output, signed)
			return nil
		},
	}
	cmd.Flags().StringVar(&regName, "registry", "", "registry `NAME` (default: default)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the tarball to `FILE` (default NAME-VERSION.tar.gz)")
	cmd.Flags().StringArrayVar(&keys, "trusted-key", nil, "require a signature by this public `KEY` (or a .pub file; repeatable)")
	return cmd
}

func newRegistryOwnersCmd(a *app) *cobra.Command {
	var regName string
	var add, remove []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "owners NAME",
		Short: "List, add or remove the owners of a package",
		Example: `  meta registry owners auth-lib
  meta registry owners auth-lib --add bob
  meta registry owners auth-lib --remove alice --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, _, err := parseNameVersion(args[0], false)
			if err != nil {
				return err
			}
			c, ref, err := a.registryClient(regName)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if len(add) > 0 {
				if _, err := c.AddOwners(ctx, name, add); err != nil {
					return registryError(err, ref)
				}
			}
			if len(remove) > 0 {
				if _, err := c.RemoveOwners(ctx, name, remove); err != nil {
					return registryError(err, ref)
				}
			}
			owners, err := c.Owners(ctx, name)
			if err != nil {
				return registryError(err, ref)
			}
			if asJSON {
				return json.NewEncoder(a.out()).Encode(owners) // one line: a list of names
			}
			for _, o := range owners {
				a.printf("%s\n", o)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&regName, "registry", "", "registry `NAME` (default: default)")
	cmd.Flags().StringArrayVar(&add, "add", nil, "add `USER` as an owner (repeatable)")
	cmd.Flags().StringArrayVar(&remove, "remove", nil, "remove `USER` as an owner (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
