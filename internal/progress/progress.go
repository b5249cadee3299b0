// Package progress carries progress and per-item results up from the
// packages that do the work to whoever shows them. A domain package takes a
// Sink in its options and sends Events to it; it never prints. The CLI
// chooses how events are shown: a live terminal view, plain lines, or JSON
// collected at the end (see Collector and term.Renderer).
package progress

import "sync"

// Kind says what an Event reports.
type Kind uint8

const (
	// Planned lists, in Items, every item the operation will handle.
	Planned Kind = iota + 1
	// Started says Item has begun; Status says what it is doing.
	Started
	// Updated says Item is now doing Status.
	Updated
	// Finished says Item has ended. Result holds the package's own
	// per-item result value; Err is set when the item failed.
	Finished
	// Noted carries a message (Status) about Item, or about the whole
	// operation when Item is empty: a warning the user should see.
	Noted
)

// String names the kind, for JSON and test failures.
func (k Kind) String() string {
	switch k {
	case Planned:
		return "planned"
	case Started:
		return "started"
	case Updated:
		return "updated"
	case Finished:
		return "finished"
	case Noted:
		return "noted"
	}
	return "unknown"
}

// Event is one report from an operation in progress.
type Event struct {
	Kind   Kind
	Item   string   // the item (component, tool, lock file) it is about
	Items  []string // for Planned: every item, in order
	Status string   // for Started, Updated, Noted: a short phrase
	Result any      // for Finished: the package's per-item result
	Err    error    // for Finished: why the item failed, if it did
}

// Failed reports whether e is a Finished event for an item that failed.
func (e Event) Failed() bool { return e.Kind == Finished && e.Err != nil }

// Sink receives events. Operations may call Event from several goroutines
// at once; every Sink must be safe for that.
type Sink interface {
	Event(Event)
}

// Func adapts a function to a Sink. The function must be safe for
// concurrent calls.
type Func func(Event)

// Event calls f(e).
func (f Func) Event(e Event) { f(e) }

// Discard is a Sink that drops every event.
var Discard Sink = Func(func(Event) {})

// Or returns s, or Discard when s is nil, so operations can send events
// without checking whether anyone listens.
func Or(s Sink) Sink {
	if s == nil {
		return Discard
	}
	return s
}

// Plan, Start, Update, Finish and Note send the corresponding event to s
// (which may be nil).
func Plan(s Sink, items []string) { Or(s).Event(Event{Kind: Planned, Items: items}) }

// Start reports that item has begun doing status.
func Start(s Sink, item, status string) {
	Or(s).Event(Event{Kind: Started, Item: item, Status: status})
}

// Update reports that item is now doing status.
func Update(s Sink, item, status string) {
	Or(s).Event(Event{Kind: Updated, Item: item, Status: status})
}

// Finish reports that item has ended with result, failing with err if
// err is not nil.
func Finish(s Sink, item string, result any, err error) {
	Or(s).Event(Event{Kind: Finished, Item: item, Result: result, Err: err})
}

// Note reports a message about item ("" for the whole operation).
func Note(s Sink, item, msg string) { Or(s).Event(Event{Kind: Noted, Item: item, Status: msg}) }

// Collector keeps every Finished result and every note, in arrival order:
// what a --json listing prints at the end. It is safe for concurrent use.
type Collector struct {
	mu      sync.Mutex
	results []any
	notes   []Event
	failed  int
}

// Event records e.
func (c *Collector) Event(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e.Kind {
	case Finished:
		c.results = append(c.results, e.Result)
		if e.Err != nil {
			c.failed++
		}
	case Noted:
		c.notes = append(c.notes, e)
	}
}

// Results returns the collected results, never nil.
func (c *Collector) Results() []any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]any{}, c.results...)
}

// Notes returns the collected notes.
func (c *Collector) Notes() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.notes...)
}

// Failed returns how many items failed.
func (c *Collector) Failed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

// Tee returns a Sink that sends every event to each of sinks in turn.
func Tee(sinks ...Sink) Sink {
	return Func(func(e Event) {
		for _, s := range sinks {
			Or(s).Event(e)
		}
	})
}
