package reapi

import (
	"context"
	"errors"
	"fmt"
	"io"

	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ExecEnabled reports whether the server offers remote execution.
func (c *Client) ExecEnabled(ctx context.Context) (bool, error) {
	if err := c.Capabilities(ctx); err != nil {
		return false, err
	}
	return c.execOK, nil
}

// Execute runs the action whose Action, Command and input root are
// already in the CAS, and waits for it to finish. Unless skipCache is set
// the server first looks the action up in its action cache. A non-zero
// exit code is not an error: it is in the response's result.
func (c *Client) Execute(ctx context.Context, action *repb.Digest, skipCache bool) (*repb.ExecuteResponse, error) {
	stream, err := c.exec.Execute(ctx, &repb.ExecuteRequest{
		InstanceName:    c.instance,
		ActionDigest:    action,
		SkipCacheLookup: skipCache,
		DigestFunction:  repb.DigestFunction_SHA256,
	})
	if err != nil {
		return nil, c.wrap("Execute", err)
	}
	name := ""
	for {
		op, err := stream.Recv()
		if err == io.EOF || (err != nil && name != "" && status.Code(err) == codes.Unavailable) {
			if name == "" {
				return nil, fmt.Errorf("%s: Execute: the stream ended before an operation was named", c.name)
			}
			// The stream broke before the operation was done: wait on it
			// by name.
			stream, err = c.exec.WaitExecution(ctx, &repb.WaitExecutionRequest{Name: name})
			if err != nil {
				return nil, c.wrap("WaitExecution", err)
			}
			continue
		}
		if err != nil {
			return nil, c.wrap("Execute", err)
		}
		name = op.GetName()
		if !op.GetDone() {
			continue
		}
		if e := op.GetError(); e != nil {
			return nil, fmt.Errorf("%s: Execute: %s: %s", c.name, codes.Code(e.GetCode()), e.GetMessage())
		}
		resp := &repb.ExecuteResponse{}
		if op.GetResponse() == nil {
			return nil, fmt.Errorf("%s: Execute: a finished operation without a response", c.name)
		}
		if err := op.GetResponse().UnmarshalTo(resp); err != nil {
			return nil, fmt.Errorf("%s: Execute: response: %w", c.name, err)
		}
		if st := resp.GetStatus(); st != nil && codes.Code(st.GetCode()) != codes.OK {
			msg := fmt.Sprintf("%s: Execute: %s: %s", c.name, codes.Code(st.GetCode()), st.GetMessage())
			if codes.Code(st.GetCode()) == codes.DeadlineExceeded {
				return resp, fmt.Errorf("%s: %w", msg, context.DeadlineExceeded)
			}
			return resp, errors.New(msg)
		}
		if resp.GetResult() == nil {
			return nil, fmt.Errorf("%s: Execute: a response without a result", c.name)
		}
		return resp, nil
	}
}
