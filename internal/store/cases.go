package store

// Objections and repair applications are cases of the same shape for the
// store: a row with a JSON body, files attached at filing, and queues
// listed by department, state or applicant.

// CaseFile is a file attached to a case: an objection's evidence or a
// repair application's proof (罚款收据, 整改证明 …). Data is sealed with the
// data key by the service that stores it.
type CaseFile struct {
	ID          int64
	CaseID      int64  // the objection or the repair application
	Name        string // as uploaded, made safe (package attach)
	ContentType string // sniffed: application/pdf, image/jpeg or image/png
	Size        int64  // of the file as uploaded
	SHA256      string // hex, of the file as uploaded
	Data        []byte // nil except from ObjectionFile and RepairFile
}

// CaseFilter narrows ListObjections and ListRepairs; empty fields match
// all.
type CaseFilter struct {
	Depts         []string // supplying departments (USCCs)
	States        []string
	ApplicantUser int64
	// ApprovedFrom / ApprovedTo (YYYY-MM-DD, inclusive; "" unbounded)
	// select repair applications approved in that period (ListRepairs
	// only; with either set, only approved ones).
	ApprovedFrom, ApprovedTo string
	// Waiting selects cases that wait on someone (a due day is set).
	Waiting bool
	Limit   int // at most this many (default 200)
}
