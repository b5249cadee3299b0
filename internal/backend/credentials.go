package backend

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Credentials are an S3 access key pair and optional session token.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

var errNoCredentialsFile = errors.New("no credentials file")

// readCredentialsFile reads profile (default "default") from an AWS-style
// INI credentials file, refusing one that group or others can access.
func readCredentialsFile(file, profile string) (Credentials, error) {
	st, err := os.Stat(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Credentials{}, fmt.Errorf("credentials file %s: %w", file, errNoCredentialsFile)
		}
		return Credentials{}, fmt.Errorf("credentials file: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return Credentials{}, fmt.Errorf("credentials file %s has mode %04o: it must be readable by its owner only (chmod 600 %s)", file, perm, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return Credentials{}, fmt.Errorf("credentials file: %w", err)
	}
	if profile == "" {
		profile = "default"
	}
	c, err := ParseCredentials(data, profile)
	if err != nil {
		return Credentials{}, fmt.Errorf("credentials file %s: %w", file, err)
	}
	return c, nil
}

// ParseCredentials reads one profile of an AWS-style INI credentials file:
// "[profile]" sections of "key = value" lines with aws_access_key_id,
// aws_secret_access_key and aws_session_token; '#' and ';' start comments.
// Errors never quote values, so secrets stay out of messages.
func ParseCredentials(data []byte, profile string) (Credentials, error) {
	var c Credentials
	section, found := "", false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return Credentials{}, fmt.Errorf("line %d: unterminated section header", n)
			}
			section = strings.TrimSpace(strings.TrimPrefix(line[1:len(line)-1], "profile "))
			if section == profile {
				found = true
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Credentials{}, fmt.Errorf("line %d: want key = value", n)
		}
		if section != profile {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "aws_access_key_id":
			c.AccessKeyID = v
		case "aws_secret_access_key":
			c.SecretAccessKey = v
		case "aws_session_token":
			c.SessionToken = v
		}
	}
	if err := sc.Err(); err != nil {
		return Credentials{}, err
	}
	if !found {
		return Credentials{}, fmt.Errorf("no [%s] profile", profile)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return Credentials{}, fmt.Errorf("profile [%s] lacks aws_access_key_id or aws_secret_access_key", profile)
	}
	return c, nil
}
