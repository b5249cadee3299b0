package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/registry"
)

// newRegistryCmd is the registry group; the verbs on packages are top-level (publish.go).
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
	cmd.AddCommand(newRegistryServeCmd(a), newRegistryTokenCmd(a), newRegistryAddCmd(a), newRegistryListCmd(a),
		newRegistryRemoveCmd(a), newRegistryFetchCmd(a), newRegistryOwnersCmd(a))
	return cmd
}

func newRegistryServeCmd(a *app) *cobra.Command {
	var c registry.ServeConfig
	cmd := command("serve", "Serve a registry over HTTP until interrupted", cobra.NoArgs, func(cmd *cobra.Command, args []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		c.Events, c.Log = a.warnings(), func(r registry.RequestLog) { fmt.Fprint(a.errw(), r.Line(time.Now())) }
		srv, err := registry.StartServer(ctx, c)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.errw(), "meta registry: serving %s from %s (%s)\n", srv.URL, srv.Storage, plural(srv.Packages, "package"))
		return then(srv.Serve(ctx), func() { fmt.Fprintln(a.errw(), "meta registry: stopped") })
	})
	cmd.Long = `Serve the sparse index under /index/, tarballs under /dl/<sha256> and the
JSON API under /api/v1/. Each request is logged to stderr as one line.
SIGINT or SIGTERM stops accepting connections and lets requests in flight
finish. Tokens are made with 'meta registry token create'.`
	cmd.Example = `  meta registry serve --addr 127.0.0.1:7878 --storage ./registry-data
  meta registry serve --addr 0.0.0.0:443 --storage 's3://meta/registry?endpoint=http://127.0.0.1:7070&region=us-east-1' --public-url https://registry.acme.dev
  meta registry serve --addr 127.0.0.1:0 --storage ./data --addr-file ./addr   # pick a free port`
	f := cmd.Flags()
	f.StringVar(&c.Addr, "addr", "127.0.0.1:7878", "listen on `HOST:PORT` (port 0 picks a free one)")
	f.StringVar(&c.Storage, "storage", "", "where the registry keeps its data: a `DIR` or an s3:// URL")
	f.StringVar(&c.PublicURL, "public-url", "", "base `URL` clients use, for /index/config.json (default: the address a request arrived on, never its Host header)")
	f.StringVar(&c.AddrFile, "addr-file", "", "write the registry's URL to `FILE` once listening")
	f.StringVar(&c.MaxUpload, "max-upload", "50MiB", "largest tarball accepted (`SIZE`); larger uploads get 413")
	f.StringVar(&c.MaxUnpacked, "max-unpacked", "1GiB", "largest size a tarball may inflate to (`SIZE`); larger ones get 400")
	f.Float64Var(&c.Rate, "rate", 10, "authenticated requests per second allowed per token (0: unlimited)")
	f.IntVar(&c.Burst, "burst", 30, "requests a token may make at once before --rate applies")
	f.BoolVar(&c.Quiet, "quiet", false, "do not log each request")
	f.DurationVar(&c.Refresh, "refresh", 30*time.Second, "re-read the storage this often, for servers sharing it (0: never)")
	return cmd
}

func newRegistryTokenCmd(a *app) *cobra.Command {
	var storage, owner string
	create := command("create", "Create a token for an owner and print it once", cobra.NoArgs, func(cmd *cobra.Command, args []string) error {
		owner = cmp.Or(owner, strings.ToLower(os.Getenv("USER")))
		tok, err := registry.CreateTokenIn(cmd.Context(), storage, owner)
		return then(err, func() {
			a.printf("%s\n", tok)
			fmt.Fprintf(a.errw(), "meta: token for %s created; it is shown only this once\nhint: the owner runs 'meta login --registry NAME' and pastes it\n", owner)
		})
	})
	create.Long = `Create a random token, store only its SHA-256 in the registry's storage,
and print the token. It cannot be shown again. Give it to its owner, who
runs 'meta login' with it. Publishing a new package makes the token's owner
the package's owner.`
	create.Example = `  meta registry token create --storage ./registry-data --owner alice
  meta registry token create --storage ./registry-data --owner ci | meta login`
	create.Flags().StringVar(&storage, "storage", "", "the registry's storage: a `DIR` or an s3:// URL")
	create.Flags().StringVar(&owner, "owner", "", "the `NAME` the token acts as (default: $USER)")
	cmd := &cobra.Command{Use: "token", Short: "Manage the tokens a registry accepts", Example: `  meta registry token create --storage /srv/meta-registry --owner alice`}
	cmd.AddCommand(create)
	return cmd
}

func newRegistryAddCmd(a *app) *cobra.Command {
	cmd := command("add NAME URL", "Remember a registry under a name", cobra.ExactArgs(2), func(cmd *cobra.Command, args []string) error {
		url := strings.TrimSuffix(args[1], "/")
		old, had, err := registry.NewConfig(a.dir, os.Getenv).Add(args[0], url)
		return then(err, func() { a.printf("registry %s: %s%s\n", args[0], url, when(had && old != url, " (was "+old+")")) })
	})
	cmd.Example = `  meta registry add default https://registry.acme.dev
  meta registry add local http://127.0.0.1:7878`
	return cmd
}

func newRegistryListCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := command("list", "List the registries meta knows, and whether you are logged in", cobra.NoArgs, func(cmd *cobra.Command, args []string) error {
		list, err := registry.NewConfig(a.dir, os.Getenv).List()
		return a.output(err, asJSON, list, func() string { return registry.ListText(list) })
	})
	cmd.Example = "  meta registry list\n  meta registry list --json"
	return jsonFlag(cmd, &asJSON)
}

func newRegistryRemoveCmd(a *app) *cobra.Command {
	cmd := command("remove NAME", "Forget a registry added with 'meta registry add'", cobra.ExactArgs(1), func(cmd *cobra.Command, args []string) error {
		return then(registry.NewConfig(a.dir, os.Getenv).Remove(args[0]), func() { a.printf("removed registry %s\n", args[0]) })
	})
	cmd.Example = "  meta registry remove local"
	return cmd
}

func newRegistryFetchCmd(a *app) *cobra.Command {
	o := registry.FetchOptions{Events: a.warnings()}
	cmd := a.sessionCommand("fetch NAME@VERSION", "Download a version's tarball, verifying its checksum and signature", cobra.ExactArgs(1), func(cmd *cobra.Command, args []string, s *registry.Session) error {
		o.Arg, o.Dir = args[0], a.dir
		got, err := s.Fetch(cmd.Context(), o)
		return then(err, func() { a.printf("%s", got.Text()) })
	})
	cmd.Long = `Download a version's tarball. The SHA-256 is always checked against the
index; the minisign signature is checked when the registry's entry in the
workspace manifest lists trusted_keys, or when --trusted-key is given.`
	cmd.Example = `  meta registry fetch auth-lib@1.2.0
  meta registry fetch auth-lib@1.2.0 --output /tmp/auth-lib.tar.gz --trusted-key RWQ...`
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write the tarball to `FILE` (default NAME-VERSION.tar.gz)")
	cmd.Flags().StringArrayVar(&o.TrustedKeys, "trusted-key", nil, "require a signature by this public `KEY` (or a .pub file; repeatable)")
	return cmd
}

func newRegistryOwnersCmd(a *app) *cobra.Command {
	var add, remove []string
	var asJSON bool
	cmd := a.sessionCommand("owners NAME", "List, add or remove the owners of a package", cobra.ExactArgs(1), func(cmd *cobra.Command, args []string, s *registry.Session) error {
		owners, err := s.Owners(cmd.Context(), args[0], add, remove)
		if err == nil && asJSON {
			return json.NewEncoder(a.out()).Encode(owners) // one line: a list of names
		}
		return a.output(err, false, nil, func() string { return strings.Join(append(owners, ""), "\n") })
	})
	cmd.Example = `  meta registry owners auth-lib
  meta registry owners auth-lib --add bob
  meta registry owners auth-lib --remove alice --json`
	cmd.Flags().StringArrayVar(&add, "add", nil, "add `USER` as an owner (repeatable)")
	cmd.Flags().StringArrayVar(&remove, "remove", nil, "remove `USER` as an owner (repeatable)")
	return jsonFlag(cmd, &asJSON)
}
