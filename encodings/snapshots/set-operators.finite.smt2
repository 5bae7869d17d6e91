(set-logic QF_LIA)
(declare-const pkind Int)
(declare-const action Int)
(declare-const resource Int)
(declare-const principal Int)
(declare-const key6_r0 Bool)
(declare-const key6_r1 Bool)
(declare-const key6_r2 Bool)
(declare-const domain Bool)
(declare-const new_s0 Bool)
(declare-const new_allows Bool)
(declare-const existing_s0 Bool)
(declare-const existing_allows Bool)
; principal kind: 0 anonymous, 1 AWS, 2 Service, 3 Federated, 4 CanonicalUser
(assert (and (>= pkind 0) (<= pkind 4)))
; action = `action`: one of 2 regions
;   region 0: e.g. ""
;   region 1: e.g. "ec2:createtags"
(assert (and (>= action 0) (< action 2)))
; resource = `resource`: one of 1 regions
;   region 0: e.g. ""
(assert (and (>= resource 0) (< resource 1)))
; principal = `principal`: one of 2 regions, -1: absent
;   region 0: e.g. ""
;   region 1: e.g. "arn:::::"
(assert (and (>= principal (- 1)) (< principal 2)))
; condition key `aws:tagkeys` = `key6_r*`: multivalued, bit r says some value lies in region r (3 regions)
;   region 0: e.g. ""
;   region 1: e.g. "env"
;   region 2: e.g. "owner"
(assert true)
; the principal has a value unless the caller is anonymous
(assert (= (= principal (- 1)) (= pkind 0)))
; every request: an IAM caller's value is an ARN with an account field; identity policies serve IAM callers; each key read holds values of its documented type and is present where AWS documents it always is
(assert (= domain (and (or (not (= pkind 1)) (not (= principal 0))) (= pkind 1))))
; new policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= new_s0 (and (= action 1) (or (not (or key6_r0 key6_r1 key6_r2)) (and (or key6_r0 key6_r1 key6_r2) (not key6_r0))))))
; new policy allows the request: some Allow applies and no Deny does
(assert (= new_allows new_s0))
; existing policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= existing_s0 (and (= action 1) (or key6_r0 key6_r1 key6_r2) key6_r1)))
; existing policy allows the request: some Allow applies and no Deny does
(assert (= existing_allows existing_s0))
; the query: satisfiable exactly when the check fails
(assert (and domain new_allows (not existing_allows)))
