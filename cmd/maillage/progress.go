package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressBar shows how far a long command is, on a terminal only. A nil
// *progressBar shows nothing.
type progressBar struct {
	w    io.Writer
	desc string
	bar  *progressbar.ProgressBar
}

// newProgress returns a progress bar on w called desc, or nil when w is
// not a terminal.
func newProgress(w io.Writer, desc string) *progressBar {
	if !isTerminal(w) {
		return nil
	}
	return &progressBar{w: w, desc: desc}
}

// update shows done out of total; a negative total is unknown.
func (p *progressBar) update(done, total int) {
	if p.bar == nil {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.desc), progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	}
	if total >= 0 {
		p.bar.ChangeMax(total)
	}
	p.bar.Set(done)
}

// callback returns update as a callback, or nil for a nil bar.
func (p *progressBar) callback() func(done, total int) {
	if p == nil {
		return nil
	}
	return p.update
}

// finish clears the bar before the command prints its report.
func (p *progressBar) finish() {
	if p != nil && p.bar != nil {
		p.bar.Finish()
	}
}

// describe changes the text before the bar.
func (p *progressBar) describe(desc string) {
	if p != nil && p.bar != nil {
		p.bar.Describe(desc)
	}
}
