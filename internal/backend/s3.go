package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 stores blobs in an S3-compatible bucket (AWS S3, versitygw, MinIO,
// R2) under an optional prefix. Put sends If-None-Match: * in a single
// PutObject so that the server refuses to overwrite: the first writer wins
// (see maxSinglePut for larger blobs).
type S3 struct {
	client *minio.Client
	bucket string
	prefix string // "" or ends in "/"
	name   string
}

// maxSinglePut is S3's limit for one PutObject. Up to it, blobs go in one
// conditional PUT: servers do not all honour If-None-Match on multipart
// uploads (versitygw overwrites), so beyond it (or with an unknown size)
// create-if-absent is best effort — a Stat first, then the upload.
const maxSinglePut = 5 << 30

func openS3(ctx context.Context, u *url.URL, opts Options) (*S3, error) {
	if u.User != nil {
		return nil, fmt.Errorf("backend: %s: credentials do not belong in the URL; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a 0600 credentials file", redactURL(u.String()))
	}
	bucket := u.Host
	if bucket == "" {
		return nil, fmt.Errorf("backend: %s: no bucket (want s3://BUCKET/PREFIX)", u)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		if err := ValidateKey(prefix); err != nil {
			return nil, fmt.Errorf("backend: %s: prefix: %w", u, err)
		}
		prefix += "/"
	}
	q := u.Query()
	endpoint, secure := "s3.amazonaws.com", true
	if e := q.Get("endpoint"); e != "" {
		eu, err := url.Parse(e)
		if err != nil || eu.Host == "" || (eu.Scheme != "http" && eu.Scheme != "https") {
			return nil, fmt.Errorf("backend: %s: endpoint %q must be http(s)://HOST[:PORT]", u, e)
		}
		endpoint, secure = eu.Host, eu.Scheme == "https"
	}
	region := q.Get("region")
	if region == "" {
		region = opts.getenv("AWS_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	creds, err := s3Credentials(opts)
	if err != nil {
		return nil, fmt.Errorf("backend: %s: %w", u, err)
	}
	lookup := minio.BucketLookupAuto
	if q.Get("path_style") == "true" || q.Get("endpoint") != "" {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Region:       region,
		BucketLookup: lookup,
		Transport:    opts.httpClient().Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("backend: %s: %w", u, err)
	}
	return &S3{client: client, bucket: bucket, prefix: prefix, name: "s3://" + bucket + "/" + prefix}, nil
}

func (s *S3) String() string { return s.name }

func (s *S3) object(key string) string { return s.prefix + key }

// s3Err maps minio errors onto the package's sentinels.
func (s *S3) s3Err(op, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchBucket":
		return fmt.Errorf("%s: %s %s: bucket %q does not exist", s.name, op, key, s.bucket)
	case resp.StatusCode == http.StatusNotFound || resp.Code == "NoSuchKey":
		return fmt.Errorf("%s: %s %s: %w", s.name, op, key, ErrNotFound)
	case resp.StatusCode == http.StatusPreconditionFailed || resp.Code == "PreconditionFailed":
		return fmt.Errorf("%s: %s %s: %w", s.name, op, key, ErrExists)
	}
	return fmt.Errorf("%s: %s %s: %w", s.name, op, key, err)
}

func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.object(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.s3Err("get", key, err)
	}
	// GetObject is lazy; Stat performs the request and reports absence.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s.s3Err("get", key, err)
	}
	return obj, nil
}

func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	po := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	po.SetMatchETagExcept("*") // If-None-Match: * — create only if absent
	if size >= 0 && size <= maxSinglePut {
		po.DisableMultipart = true
	} else if _, err := s.Stat(ctx, key); err == nil {
		return fmt.Errorf("%s: put %s: %w", s.name, key, ErrExists)
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.object(key), r, size, po)
	if err != nil {
		if resp := minio.ToErrorResponse(err); resp.StatusCode == http.StatusConflict && resp.Code == "ConditionalRequestConflict" {
			// AWS: another conditional write of this key was in flight;
			// it either won or will, so this writer did not.
			return fmt.Errorf("%s: put %s: %w (concurrent writer)", s.name, key, ErrExists)
		}
		return s.s3Err("put", key, err)
	}
	return nil
}

func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	st, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.s3Err("stat", key, err)
	}
	return Info{Key: key, Size: st.Size, Modified: st.LastModified}, nil
}

func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.object(key), minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s.s3Err("delete", key, err), ErrNotFound) {
			return nil
		}
		return s.s3Err("delete", key, err)
	}
	return nil
}

func (s *S3) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	var out []Info
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.object(prefix), Recursive: true}) {
		if obj.Err != nil {
			return nil, s.s3Err("list", prefix, obj.Err)
		}
		key := strings.TrimPrefix(obj.Key, s.prefix)
		if ValidateKey(key) != nil || path.Clean(key) != key {
			continue // not ours
		}
		out = append(out, Info{Key: key, Size: obj.Size, Modified: obj.LastModified})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// s3Credentials reads credentials from the standard AWS environment
// variables, or else from a credentials file that only its owner can read.
// Without either, requests are anonymous.
func s3Credentials(opts Options) (*credentials.Credentials, error) {
	if id := opts.getenv("AWS_ACCESS_KEY_ID"); id != "" {
		secret := opts.getenv("AWS_SECRET_ACCESS_KEY")
		if secret == "" {
			return nil, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is empty")
		}
		return credentials.NewStaticV4(id, secret, opts.getenv("AWS_SESSION_TOKEN")), nil
	}
	file, explicit := opts.CredentialsFile, opts.CredentialsFile != ""
	if file == "" {
		file = opts.getenv("AWS_SHARED_CREDENTIALS_FILE")
		explicit = file != ""
	}
	if file == "" {
		if home := opts.getenv("HOME"); home != "" {
			file = path.Join(home, ".aws", "credentials")
		}
	}
	if file == "" {
		return credentials.NewStatic("", "", "", credentials.SignatureAnonymous), nil
	}
	profile := opts.getenv("AWS_PROFILE")
	c, err := readCredentialsFile(file, profile)
	if err != nil {
		if errors.Is(err, errNoCredentialsFile) && !explicit {
			return credentials.NewStatic("", "", "", credentials.SignatureAnonymous), nil
		}
		return nil, err
	}
	return credentials.NewStaticV4(c.AccessKeyID, c.SecretAccessKey, c.SessionToken), nil
}
