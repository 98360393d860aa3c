package notify_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"interlude/internal/care"
)

// ---- An SMTP server in the test (github.com/emersion/go-smtp) ----

// mail is one message as the test SMTP server received it.
type mail struct {
	From string
	To   []string
	Data string // headers and body, as sent
	Auth string // "user:password" if the client authenticated
	TLS  bool   // the session was encrypted
}

// smtpServer is a real SMTP server on loopback that keeps what it
// receives. refuse, if set, answers RCPT TO with that error.
type smtpServer struct {
	Addr     string
	Port     int
	CertPool *x509.CertPool

	mu     sync.Mutex
	mails  []mail
	refuse *smtp.SMTPError
}

type smtpOptions struct {
	tls      bool // offer STARTTLS
	implicit bool // TLS from the first byte
	auth     bool // offer AUTH PLAIN
}

func startSMTP(t *testing.T, o smtpOptions) *smtpServer {
	t.Helper()
	ss := &smtpServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, tlsOn := c.TLSConnectionState()
		return &smtpSession{srv: ss, m: mail{TLS: tlsOn}, conn: c}, nil
	}))
	srv.Domain = "mx.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = !o.tls && !o.implicit
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.tls || o.implicit {
		cert, pool := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		ss.CertPool = pool
		if o.implicit {
			ln = tls.NewListener(ln, srv.TLSConfig)
		}
	}
	ss.Addr = ln.Addr().String()
	ss.Port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln) //nolint:errcheck // it returns when Close stops it; the tests check what it received
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return ss
}

func (s *smtpServer) Mails() []mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mail(nil), s.mails...)
}

func (s *smtpServer) Refuse(e *smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = e
}

type smtpSession struct {
	srv  *smtpServer
	m    mail
	conn *smtp.Conn
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != "mailer" || pass != "s3cret-pass" {
			return smtp.ErrAuthFailed
		}
		s.m.Auth = user + ":" + pass
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	_, s.m.TLS = s.conn.TLSConnectionState()
	s.m.From = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	refuse := s.srv.refuse
	s.srv.mu.Unlock()
	if refuse != nil {
		e := *refuse
		e.Message = strings.ReplaceAll(e.Message, "ADDR", to) // servers quote the address
		return &e
	}
	s.m.To = append(s.m.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.Data = string(b)
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, s.m)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.m = mail{Auth: s.m.Auth, TLS: s.m.TLS} }
func (s *smtpSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, pool
}

// ---- A push service in the test ----

// browser is a browser's side of a push subscription: its key pair and
// authentication secret.
type browser struct {
	priv *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return &browser{priv: k, auth: auth}
}

// subscription is what the browser gives the application server.
func (b *browser) subscription(endpoint string) care.PushSubscription {
	return care.PushSubscription{Endpoint: endpoint, P256dh: b.priv.PublicKey().Bytes(), Auth: b.auth, Device: "Test browser"}
}

// pushed is one push as the test push service received and decrypted it.
type pushed struct {
	Path    string
	Payload []byte // decrypted
	Header  http.Header
}

// pushService is a push service on loopback (https): it checks each
// request's VAPID token against the application server's public key and
// decrypts its body with the browser's private key (RFC 8291, RFC 8188),
// written here from the RFCs apart from the code under test. status, if
// set, is answered instead of 201.
type pushService struct {
	*httptest.Server
	t       *testing.T
	browser *browser
	vapidK  string // the application server key it expects

	mu     sync.Mutex
	got    []pushed
	errs   []error
	status int
}

func startPushService(t *testing.T, b *browser, vapidPublic string) *pushService {
	ps := &pushService{t: t, browser: b, vapidK: vapidPublic}
	ps.Server = httptest.NewTLSServer(http.HandlerFunc(ps.serve))
	t.Cleanup(ps.Close)
	return ps
}

func (ps *pushService) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p, err := ps.check(r, body)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if err != nil {
		ps.errs = append(ps.errs, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ps.status != 0 {
		w.WriteHeader(ps.status)
		return
	}
	ps.got = append(ps.got, p)
	w.WriteHeader(http.StatusCreated)
}

func (ps *pushService) Pushed() ([]pushed, []error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]pushed(nil), ps.got...), append([]error(nil), ps.errs...)
}

func (ps *pushService) Answer(status int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.status = status
}

func (ps *pushService) check(r *http.Request, body []byte) (pushed, error) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		return pushed{}, fmt.Errorf("method %s, encoding %q, TTL %q", r.Method, r.Header.Get("Content-Encoding"), r.Header.Get("TTL"))
	}
	if err := ps.checkVAPID(r.Header.Get("Authorization"), "https://"+r.Host); err != nil {
		return pushed{}, fmt.Errorf("VAPID: %w", err)
	}
	plain, err := decryptAES128GCM(ps.browser, body)
	if err != nil {
		return pushed{}, fmt.Errorf("decrypting: %w", err)
	}
	return pushed{Path: r.URL.Path, Payload: plain, Header: r.Header.Clone()}, nil
}

// checkVAPID checks "vapid t=JWT, k=KEY" (RFC 8292): k is the expected
// key, the JWT is ES256-signed by it, for this origin, not expired and
// not valid for more than a day, with a contact.
func (ps *pushService) checkVAPID(h, origin string) error {
	rest, ok := strings.CutPrefix(h, "vapid ")
	if !ok {
		return errors.New("no vapid scheme")
	}
	params := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		params[k] = v
	}
	if params["k"] != ps.vapidK {
		return fmt.Errorf("k=%s, want %s", params["k"], ps.vapidK)
	}
	raw, err := base64.RawURLEncoding.DecodeString(params["k"])
	if err != nil {
		return err
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return fmt.Errorf("k: %w", err)
	}
	parts := strings.Split(params["t"], ".")
	if len(parts) != 3 {
		return errors.New("t is not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return errors.New("bad signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("signature does not verify")
	}
	var head struct{ Alg, Typ string }
	var claims struct {
		Aud string
		Exp int64
		Sub string
	}
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(hb, &head) != nil || json.Unmarshal(cb, &claims) != nil {
		return errors.New("bad JWT JSON")
	}
	exp := time.Unix(claims.Exp, 0)
	switch {
	case head.Alg != "ES256":
		return fmt.Errorf("alg %s", head.Alg)
	case claims.Aud != origin:
		return fmt.Errorf("aud %s, want %s", claims.Aud, origin)
	case exp.Before(time.Now()) || exp.After(time.Now().Add(24*time.Hour)):
		return fmt.Errorf("exp %s", exp)
	case !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:"):
		return fmt.Errorf("sub %s", claims.Sub)
	}
	return nil
}

// decryptAES128GCM decrypts a push message body with the browser's keys
// (RFC 8291 section 3, RFC 8188 section 2), and strips the padding.
func decryptAES128GCM(b *browser, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("keyid length %d", idlen)
	}
	asPubBytes, ct := body[21:21+idlen], body[21+idlen:]
	if uint32(len(ct)) > rs {
		return nil, fmt.Errorf("%d bytes in a record of %d", len(ct), rs)
	}
	asPub, err := ecdh.P256().NewPublicKey(asPubBytes)
	if err != nil {
		return nil, err
	}
	ecdhSecret, err := b.priv.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	// PRK_key = HMAC-SHA-256(auth_secret, ecdh_secret)
	// IKM = HMAC-SHA-256(PRK_key, "WebPush: info" || 0x00 || ua_public || as_public || 0x01)
	prkKey, _ := hkdf.Extract(sha256.New, ecdhSecret, b.auth)
	info := append(append([]byte("WebPush: info\x00"), b.priv.PublicKey().Bytes()...), asPubBytes...)
	ikm, _ := hkdf.Expand(sha256.New, prkKey, string(info), 32)
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, err
	}
	// The last record ends with 0x02 then zeros.
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:len(plain)-1], nil
}
