(set-logic QF_LIA)
(declare-const pkind Int)
(declare-const action Int)
(declare-const resource Int)
(declare-const principal Int)
(declare-const key6 Int)
(declare-const key7 Int)
(declare-const key8 Int)
(declare-const key9 Int)
(declare-const key10 Int)
(declare-const domain Bool)
(declare-const new_s0 Bool)
(declare-const new_allows Bool)
(declare-const existing_s0 Bool)
(declare-const existing_allows Bool)
; principal kind: 0 anonymous, 1 AWS, 2 Service, 3 Federated, 4 CanonicalUser
(assert (and (>= pkind 0) (<= pkind 4)))
; action = `action`: one of 2 regions
;   region 0: e.g. ""
;   region 1: e.g. "s3:"
(assert (and (>= action 0) (< action 2)))
; resource = `resource`: one of 1 regions
;   region 0: e.g. ""
(assert (and (>= resource 0) (< resource 1)))
; principal = `principal`: one of 2 regions, -1: absent
;   region 0: e.g. ""
;   region 1: e.g. "arn:::::"
(assert (and (>= principal (- 1)) (< principal 2)))
; condition key `aws:currenttime` = `key6`: one of 2 regions, -1: absent
;   region 0: e.g. "2030-01-01T00:00:00.000Z"
;   region 1: e.g. "2026-01-01T00:00:00Z"
(assert (and (>= key6 (- 1)) (< key6 2)))
; condition key `aws:securetransport` = `key7`: one of 2 regions, -1: absent
;   region 0: e.g. "true"
;   region 1: e.g. "false"
(assert (and (>= key7 (- 1)) (< key7 2)))
; condition key `aws:sourceip` = `key8`: one of 3 regions, -1: absent
;   region 0: e.g. "203.0.113.7"
;   region 1: e.g. "10.0.0.0"
;   region 2: e.g. "10.9.0.0"
(assert (and (>= key8 (- 1)) (< key8 3)))
; condition key `s3:max-keys` = `key9`: one of 3 regions, -1: absent
;   region 0: e.g. "1001"
;   region 1: e.g. "1"
;   region 2: e.g. "550"
(assert (and (>= key9 (- 1)) (< key9 3)))
; condition key `s3:prefix` = `key10`: one of 3 regions, -1: absent
;   region 0: e.g. ""
;   region 1: e.g. "home/"
;   region 2: e.g. "secret"
(assert (and (>= key10 (- 1)) (< key10 3)))
; the principal has a value unless the caller is anonymous
(assert (= (= principal (- 1)) (= pkind 0)))
; every request: an IAM caller's value is an ARN with an account field; identity policies serve IAM callers; each key read holds values of its documented type and is present where AWS documents it always is
(assert (= domain (and (or (not (= pkind 1)) (not (= principal 0))) (= pkind 1) (>= key6 0) (>= key7 0))))
; new policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= new_s0 (and (= action 1) (>= key10 0) (= key10 1) (>= key9 0) (= key9 1) (>= key6 0) (= key6 1) (>= key8 0) (>= key8 1) (<= key8 2) (>= key7 0) (= key7 0))))
; new policy allows the request: some Allow applies and no Deny does
(assert (= new_allows new_s0))
; existing policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= existing_s0 (and (= action 1) (or (not (>= key10 0)) (and (>= key10 0) (not (= key10 2)))) (>= key9 0) (>= key9 1) (<= key9 2) (or (not (>= key8 0)) (and (>= key8 0) (not (= key8 2)))) (>= key7 0))))
; existing policy allows the request: some Allow applies and no Deny does
(assert (= existing_allows existing_s0))
; the query: satisfiable exactly when the check fails
(assert (and domain new_allows (not existing_allows)))
