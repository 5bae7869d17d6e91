(set-logic ALL)
(declare-const res_f0 String)
(declare-const res_f1 String)
(declare-const res_f2 String)
(declare-const res_f3 String)
(declare-const res_f4 String)
(declare-const res_f5 String)
(declare-const pr_f0 String)
(declare-const pr_f1 String)
(declare-const pr_f2 String)
(declare-const pr_f3 String)
(declare-const pr_f4 String)
(declare-const pr_f5 String)
(declare-const res_arn Bool)
(declare-const res_other Int)
(declare-const pkind Int)
(declare-const action String)
(declare-const principal String)
(declare-const domain Bool)
(declare-const policy_s0 Bool)
(declare-const policy_allows Bool)
(declare-const listed Bool)
; `res` ARN field 0 holds no `:`
(assert (not (str.contains res_f0 ":")))
; `res` ARN field 1 holds no `:`
(assert (not (str.contains res_f1 ":")))
; `res` ARN field 2 holds no `:`
(assert (not (str.contains res_f2 ":")))
; `res` ARN field 3 holds no `:`
(assert (not (str.contains res_f3 ":")))
; `res` ARN field 4 holds no `:`
(assert (not (str.contains res_f4 ":")))
; `pr` ARN field 0 holds no `:`
(assert (not (str.contains pr_f0 ":")))
; `pr` ARN field 1 holds no `:`
(assert (not (str.contains pr_f1 ":")))
; `pr` ARN field 2 holds no `:`
(assert (not (str.contains pr_f2 ":")))
; `pr` ARN field 3 holds no `:`
(assert (not (str.contains pr_f3 ":")))
; `pr` ARN field 4 holds no `:`
(assert (not (str.contains pr_f4 ":")))
; a resource with fewer than five colons lies in one of 1 regions
(assert (or res_arn (and (>= res_other 0) (< res_other 1))))
; principal kind: 0 anonymous, 1 AWS, 2 Service, 3 Federated, 4 CanonicalUser
(assert (and (>= pkind 0) (<= pkind 4)))
; `action`: compared only ignoring case, so its value is taken lower-cased
(assert (str.in_re action (re.* (re.union (re.range " " "@") (re.range "[" "~")))))
; every request: an IAM caller's value is an ARN with an account field; identity policies serve IAM callers; each key read holds values of its documented type and is present where AWS documents it always is
(assert (= domain (and (or (not (= pkind 1)) (and (= pkind 1) (= pr_f0 "arn")) (and (not (= pkind 1)) (str.in_re principal (re.++ (str.to_re "arn:") (re.* (re.inter re.allchar (re.comp (str.to_re ":")))) (str.to_re ":") (re.* (re.inter re.allchar (re.comp (str.to_re ":")))) (str.to_re ":") (re.* (re.inter re.allchar (re.comp (str.to_re ":")))) (str.to_re ":") (re.* (re.inter re.allchar (re.comp (str.to_re ":")))) (str.to_re ":") (re.* re.allchar))))) (= pkind 1))))
; policy policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= policy_s0 (and (str.in_re action (re.++ (str.to_re "cloudtrail:") (re.* re.allchar))) (or res_arn (and (not res_arn) (= res_other 0))))))
; policy policy allows the request: some Allow applies and no Deny does
(assert (= policy_allows policy_s0))
; the request has a listed action and/or resource
(assert (= listed (= action "cloudtrail:stoplogging")))
; the query: satisfiable exactly when the check fails
(assert (and domain policy_allows listed))
