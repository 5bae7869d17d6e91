(set-logic QF_LIA)
(declare-const pkind Int)
(declare-const action Int)
(declare-const resource Int)
(declare-const principal Int)
(declare-const key6 Int)
(declare-const domain Bool)
(declare-const policy_s0 Bool)
(declare-const policy_s1 Bool)
(declare-const policy_allows Bool)
(declare-const untrusted Bool)
; principal kind: 0 anonymous, 1 AWS, 2 Service, 3 Federated, 4 CanonicalUser
(assert (and (>= pkind 0) (<= pkind 4)))
; action = `action`: one of 3 regions
;   region 0: e.g. ""
;   region 1: e.g. "s3:getobject"
;   region 2: e.g. "s3:putobject"
(assert (and (>= action 0) (< action 3)))
; resource = `resource`: one of 1 regions
;   region 0: e.g. ""
(assert (and (>= resource 0) (< resource 1)))
; principal = `principal`: one of 3 regions, -1: absent
;   region 0: e.g. ""
;   region 1: e.g. "arn:::::"
;   region 2: e.g. "arn::::111122223333:"
(assert (and (>= principal (- 1)) (< principal 3)))
; condition key `aws:sourcevpc` = `key6`: one of 2 regions, -1: absent
;   region 0: e.g. ""
;   region 1: e.g. "vpc-1a2b"
(assert (and (>= key6 (- 1)) (< key6 2)))
; the principal has a value unless the caller is anonymous
(assert (= (= principal (- 1)) (= pkind 0)))
; every request: an IAM caller's value is an ARN with an account field; identity policies serve IAM callers; each key read holds values of its documented type and is present where AWS documents it always is
(assert (= domain (or (not (= pkind 1)) (not (= principal 0)))))
; policy policy, statement index: 0 (Allow) at /Statement/0: applies to the request
(assert (= policy_s0 (and (= action 1) (>= key6 0) (= key6 1))))
; policy policy, statement index: 1 (Allow) at /Statement/1: applies to the request
(assert (= policy_s1 (and (= pkind 1) (= principal 2) (= action 2))))
; policy policy allows the request: some Allow applies and no Deny does
(assert (= policy_allows (or policy_s0 policy_s1)))
; the caller is unknown: anonymous or unnamed, every identity/network key fresh
(assert (= untrusted (and (or (= pkind 0) (and (= pkind 1) (not (= principal 2))) (= pkind 2) (= pkind 3) (= pkind 4)) (not (= key6 1)))))
; the query: satisfiable exactly when the check fails
(assert (and domain policy_allows untrusted))
