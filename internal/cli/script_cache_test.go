package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/metawork/meta/internal/backend"
)

// cmdCachePoison implements "cachepoison URL VICTIM DONOR [unsigned]": the
// cache-poisoning attack of a machine with write access to a shared remote
// cache. It rewrites VICTIM's record on the remote at URL so that it
// points at DONOR's outputs (output hash, archive blob and sizes), keeping
// VICTIM's own key and key document, so the record still passes every
// self-check. With "unsigned" it also drops the signature, as a machine
// without the signing key would write it.
func cmdCachePoison(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 || len(args) == 4 && args[3] != "unsigned" {
		ts.Fatalf("usage: cachepoison URL VICTIM DONOR [unsigned]")
	}
	ctx := context.Background()
	b, err := backend.Open(ctx, args[0], backend.Options{Getenv: ts.Getenv})
	ts.Check(err)
	infos, err := b.List(ctx, "ac/")
	ts.Check(err)
	records := map[string]map[string]any{}
	keys := map[string]string{}
	for _, info := range infos {
		rc, err := b.Get(ctx, info.Key)
		ts.Check(err)
		data, err := io.ReadAll(rc)
		rc.Close()
		ts.Check(err)
		var rec map[string]any
		ts.Check(json.Unmarshal(data, &rec))
		name, _ := rec["component"].(string)
		records[name], keys[name] = rec, info.Key
	}
	victim, donor := records[args[1]], records[args[2]]
	if victim == nil || donor == nil {
		ts.Fatalf("cachepoison: no remote record for %s or %s (have %d records)", args[1], args[2], len(records))
	}
	for _, f := range []string{"output", "archive", "archive_size", "size"} {
		victim[f] = donor[f]
	}
	if len(args) == 4 {
		delete(victim, "signature")
	}
	data, err := json.Marshal(victim)
	ts.Check(err)
	ts.Check(b.Delete(ctx, keys[args[1]]))
	ts.Check(b.Put(ctx, keys[args[1]], bytes.NewReader(data), int64(len(data))))
	ts.Logf("rewrote %s to point at %s's outputs %s", strings.TrimPrefix(keys[args[1]], "ac/"), args[2], donor["output"])
}
