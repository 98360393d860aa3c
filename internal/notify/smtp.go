package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// TLSMode is how the mailer protects its connection to the SMTP server.
type TLSMode string

// The TLS modes.
const (
	TLSNone     TLSMode = "none"     // plain text: only for a relay on the same machine or network
	TLSStartTLS TLSMode = "starttls" // upgrade with STARTTLS, which the server must offer (port 587)
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (port 465)
)

// SMTPConfig is where and how email is sent.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      TLSMode
	Username string // "" sends without authenticating
	Password string
	From     string // the sender address, e.g. "Interlude <care@clinic.example>"

	// TLSConfig, if set, replaces the default (the system's roots,
	// ServerName Host, TLS 1.2 at least); tests trust their own server.
	TLSConfig *tls.Config
	// Timeout bounds one delivery (default 30 seconds).
	Timeout time.Duration
}

// Mailer sends notices by email. It opens one connection per email: a
// notification is rare, and a fresh connection never carries the state
// of another's failure.
type Mailer struct {
	cfg  SMTPConfig
	from *mail.Address
}

// NewMailer checks cfg and returns a Mailer for it.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp: port %d is not a TCP port", cfg.Port)
	}
	switch cfg.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	case "":
		cfg.TLS = TLSStartTLS
	default:
		return nil, fmt.Errorf("smtp: TLS mode %q is not none, starttls or tls", cfg.TLS)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: the from address %q is not an email address", cfg.From)
	}
	if (cfg.Username == "") != (cfg.Password == "") {
		return nil, errors.New("smtp: give both a username and a password, or neither")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Mailer{cfg: cfg, from: from}, nil
}

// Send emails notice n to the address to. Its errors name the step that
// failed and the server's reply code, never the address nor the server's
// words about it (a refusal may quote the address, which for a client is
// PHI).
func (m *Mailer) Send(ctx context.Context, to string, n Notice) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return errors.New("smtp: the recipient's address is not an email address")
	}
	msg := m.compose(rcpt, n)
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: connecting to %s: %w", addr, err)
	}
	// The message's fate is the server's reply at the end of DATA, checked
	// below: closing the connection after it (or after a failure being
	// returned) changes nothing.
	defer conn.Close() //nolint:errcheck // see above
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return fmt.Errorf("smtp: connecting to %s: %w", addr, err)
		}
	}
	// Cancelling ctx aborts the exchange; SetDeadline fails only on a
	// closed connection, whose exchange is over already.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) }) //nolint:errcheck // see above
	defer stop()
	if m.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, m.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp: TLS with %s: %w", addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		return stepError("greeting", err)
	}
	defer c.Close() //nolint:errcheck // closes conn, as above: after Quit or a failure being returned
	if err := c.Hello(heloName(m.from)); err != nil {
		return stepError("EHLO", err)
	}
	if m.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("smtp: the server does not offer STARTTLS (set the TLS mode to tls or, for a local relay, none)")
		}
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return stepError("STARTTLS", err)
		}
	}
	if m.cfg.Username != "" {
		// PlainAuth refuses to send the password unencrypted to any host
		// but localhost.
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host)); err != nil {
			return stepError("AUTH", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return stepError("MAIL FROM", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return stepError("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return stepError("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return stepError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return stepError("end of DATA", err)
	}
	if err := c.Quit(); err != nil {
		// The server accepted the message; a failed goodbye loses nothing.
		return nil
	}
	return nil
}

func (m *Mailer) tlsConfig() *tls.Config {
	if m.cfg.TLSConfig != nil {
		return m.cfg.TLSConfig
	}
	return &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}
}

// stepError describes a failed SMTP step by the server's reply code only:
// the reply's text may quote the recipient. Other errors (network,
// TLS) say nothing of the recipient and are kept.
func stepError(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &SMTPError{Step: step, Code: te.Code}
	}
	if strings.Contains(err.Error(), "@") {
		return fmt.Errorf("smtp: %s failed", step)
	}
	return fmt.Errorf("smtp: %s: %w", step, err)
}

// SMTPError is a refusal by the SMTP server: the step and its reply code.
type SMTPError struct {
	Step string
	Code int
}

func (e *SMTPError) Error() string {
	return fmt.Sprintf("smtp: the server refused %s with code %d", e.Step, e.Code)
}

// Permanent reports whether the server said not to try again (5xx).
func (e *SMTPError) Permanent() bool { return e.Code >= 500 }

// heloName is the name the mailer gives in EHLO: the domain of its from
// address, which a receiving server can check against its DNS.
func heloName(from *mail.Address) string {
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 && i+1 < len(from.Address) {
		return from.Address[i+1:]
	}
	return "localhost"
}

// compose returns the email of notice n to rcpt. It is plain text, 7-bit
// ASCII, lines ending CRLF, every header made by us: nothing in it comes
// from a user but the recipient's address, which mail.ParseAddress has
// checked (no line breaks can reach the headers).
func (m *Mailer) compose(rcpt *mail.Address, n Notice) []byte {
	var id [16]byte
	rand.Read(id[:])
	var b strings.Builder
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", m.from.String())
	h("To", "<"+rcpt.Address+">")
	h("Subject", n.Subject)
	h("Date", time.Now().UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+heloName(m.from)+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "7bit")
	h("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies
	b.WriteString("\r\n")
	b.WriteString(n.MailText())
	return []byte(b.String())
}
