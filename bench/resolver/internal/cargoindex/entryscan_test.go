package cargoindex

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// jsonLine is what encoding/json makes of a line: the reference
// parseLine must agree with.
func jsonLine(text []byte) (line, error) {
	var x line
	err := json.Unmarshal(text, &x)
	return x, err
}

func TestParseLine(t *testing.T) {
	cargo := `{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"},{"name":"c2","package":"c","req":"~2","optional":true,"kind":"dev"}],"cksum":"ab","features":{},"yanked":false}`
	deep := strings.Repeat("[", 300) + strings.Repeat("]", 300)
	for _, tc := range []struct {
		line    string
		fast    bool // the scanner answers without encoding/json
		wantErr bool
	}{
		{line: cargo, fast: true},
		{line: `{}`, fast: true},
		{line: `{"deps":[]}`, fast: true},
		{line: `{"deps":null,"name":null,"yanked":null}`, fast: true},
		{line: ` {"deps":[{}, {"kind":"build","x":{"y":[1,"\u00e9"]}}], "yanked":true, "vers":"1","vers":"2"} `, fast: true},
		{line: `{"deps":[{"name":"a","name":"b","optional":true,"optional":null}]}`, fast: true},
		{line: `{"deps":[{"name":"a"}],"deps":[{"req":"1"}]}`}, // deps twice: encoding/json
		{line: `{"deps":[null]}`},                          // a null dependency
		{line: `{"Deps":[{"Name":"a"}],"NAME":"x"}`},       // case-folded keys
		{line: `{"deps":[{"name":"\u0061"}]}`},             // escape
		{line: `{"deps":[{"name":"é"}]}`},                  // non-ASCII
		{line: `{"deps":[{"name":"a","x":` + deep + `}]}`}, // deeper than the scanner follows
		{line: `{"deps":[{"name":"a"},]}`, wantErr: true},
		{line: `{"deps":[{"name":5}]}`, wantErr: true},
		{line: `{"deps":[{"optional":"no"}]}`, wantErr: true},
		{line: `{"deps":{}}`, wantErr: true},
		{line: `{"deps":[1]}`, wantErr: true},
		{line: `{"yanked":1}`, wantErr: true},
		{line: `{"vers":"1.0.0"} x`, wantErr: true},
		{line: `{"vers":"1.0.0","deps":[{"name":"a"}]`, wantErr: true},
	} {
		name := tc.line
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			want, wantErr := jsonLine([]byte(tc.line))
			got, err := parseLine([]byte(tc.line))
			if (err != nil) != tc.wantErr || (wantErr != nil) != tc.wantErr {
				t.Fatalf("error %v (encoding/json: %v), want error: %v", err, wantErr, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, encoding/json %+v", got, want)
			}
			if _, ok := scanLine([]byte(tc.line)); ok != tc.fast {
				t.Errorf("scanner answered: %v, want %v", ok, tc.fast)
			}
		})
	}
}

// FuzzParseLine checks parseLine against encoding/json: the same line,
// and an error exactly when it errs.
func FuzzParseLine(f *testing.F) {
	f.Add(`{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}],"cksum":"ab","features":{},"yanked":false}`)
	f.Add(`{"deps":[{"package":"p","optional":null,"x":[{"y":-0.5E-2},"\ud800",null,false]}],"deps":null}`)
	f.Add(`{"Deps":[{"Kind":"dev"}],"cKsum":"1"}`)
	f.Add(`{"deps":[null,{}]}`)
	f.Add(` {} `)
	f.Add(`{"deps":[{"req":"a\u0000"}]}`)
	f.Fuzz(func(t *testing.T, text string) {
		want, wantErr := jsonLine([]byte(text))
		got, err := parseLine([]byte(text))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("parseLine error %v, encoding/json %v", err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("parseLine = %+v, encoding/json %+v", got, want)
		}
		if x, ok := scanLine([]byte(text)); ok && (wantErr != nil || !reflect.DeepEqual(x, want)) {
			t.Fatalf("scanner answered %+v; encoding/json %+v, %v", x, want, wantErr)
		}
	})
}
