package largecase

import (
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  string
	}{
		{in: "{}", want: "map[]"},
		{in: "{ 1: { 2: { 3: [ (0, Some(4)), (5, None), ], }, }, }", want: "map[1:map[2:map[3:[{0 4 false} {5 0 true}]]]]"},
		{in: "{1:{2:{}}}", want: "map[1:map[2:map[]]]"},
		{in: "{ 1: { 2: { 3: [ (0, Maybe(4)) ] } } }", err: "expected Some(hi) or None"},
		{in: "{ 1: ", err: "expected '{'"},
		{in: "{} x", err: "expected end of input"},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("{ 1: { 2: { 3: [ (0, Some(4)), (5, None), ], }, }, }")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse([]byte(s)) // must not panic or loop
	})
}
