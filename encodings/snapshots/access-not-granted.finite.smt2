(set-logic QF_LIA)
(declare-const pkind Int)
(declare-const action Int)
(declare-const resource Int)
(declare-const principal Int)
(declare-const domain Bool)
(declare-const policy_s0 Bool)
(declare-const policy_allows Bool)
(declare-const listed Bool)
; principal kind: 0 anonymous, 1 AWS, 2 Service, 3 Federated, 4 CanonicalUser
(assert (and (>= pkind 0) (<= pkind 4)))
; action = `action`: one of 3 regions
;   region 0: e.g. ""
;   region 1: e.g. "cloudtrail:"
;   region 2: e.g. "cloudtrail:stoplogging"
(assert (and (>= action 0) (< action 3)))
; resource = `resource`: one of 1 regions
;   region 0: e.g. ""
(assert (and (>= resource 0) (< resource 1)))
; principal = `principal`: one of 2 regions, -1: absent
;   region 0: e.g. ""
;   region 1: e.g. "arn:::::"
(assert (and (>= principal (- 1)) (< principal 2)))
; the principal has a value unless the caller is anonymous
(assert (= (= principal (- 1)) (= pkind 0)))
; every request: an IAM caller's value is an ARN with an account field; identity policies serve IAM callers; each key read holds values of its documented type and is present where AWS documents it always is
(assert (= domain (and (or (not (= pkind 1)) (not (= principal 0))) (= pkind 1))))
; policy policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= policy_s0 (and (>= action 1) (<= action 2))))
; policy policy allows the request: some Allow applies and no Deny does
(assert (= policy_allows policy_s0))
; the request has a listed action and/or resource
(assert (= listed (= action 2)))
; the query: satisfiable exactly when the check fails
(assert (and domain policy_allows listed))
