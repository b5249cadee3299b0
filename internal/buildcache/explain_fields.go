package buildcache

import (
	"cmp"
	"maps"
	"os"
	"slices"
	"strings"
)

// Field is one labelled value of a key document, as 'meta cache explain'
// shows it.
type Field struct{ Label, Value string }

// Fields returns d's fields in the order explain shows them: empty
// optional fields left out, "-" for empty values, maps one field per key
// (KEY = VALUE, hashes cut to 12 digits). The input files are not among
// them.
func (d *Document) Fields() []Field {
	f := []Field{{"platform", d.Platform}}
	if d.Subdir != "" {
		f = append(f, Field{"subdir", d.Subdir})
	}
	f = append(f, Field{"env mode", d.EnvMode}, Field{"path", dash(strings.Join(d.Path, string(os.PathListSeparator)))}, Field{"command", d.Command})
	if d.Target != "" {
		f = append(f, Field{"target", d.Target})
	}
	f = append(f, Field{"outputs", dash(strings.Join(d.Outputs, ", "))})
	for _, kv := range []struct {
		name string
		m    map[string]string
	}{{"tools", d.Tools}, {"env", d.Env}, {"loose env", d.LooseEnv}, {"deps", d.Deps}} {
		if len(kv.m) == 0 && kv.name != "loose env" {
			f = append(f, Field{kv.name, "-"})
		}
		for _, k := range slices.Sorted(maps.Keys(kv.m)) {
			v := kv.m[k]
			switch kv.name {
			case "deps":
				v = Short(v)
				if dk := d.DepKeys[k]; dk != "" {
					v += " (outputs of key " + dk[:min(12, len(dk))] + ")"
				}
			case "loose env":
				v = "sha256 " + Short(v)
			}
			f = append(f, Field{kv.name, k + " = " + dash(v)})
		}
	}
	return f
}

// Short shows a 64-digit hash as its first 12 digits, and an empty value
// as "-".
func Short(s string) string {
	if len(s) == 64 && !strings.ContainsAny(s, " /") {
		return s[:12]
	}
	return dash(s)
}

func dash(s string) string { return cmp.Or(s, "-") }
