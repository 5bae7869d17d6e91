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
(declare-const key0_0_p Bool)
(declare-const key1_0_p Bool)
(declare-const action String)
(declare-const principal String)
(declare-const key0_0_s String)
(declare-const key1_0_s String)
(declare-const domain Bool)
(declare-const tpl0_0 String)
(declare-const tpl0 Bool)
(declare-const new_s0 Bool)
(declare-const new_allows Bool)
(declare-const existing_s0 Bool)
(declare-const existing_allows Bool)
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
; pattern 0 with policy variables, as a split
(assert (or (not tpl0) (= res_f5 (str.++ "b/home/" key1_0_s "/" tpl0_0))))
; pattern 0 with policy variables, as a formula of the text
(assert (or (not (and (str.prefixof (str.++ "b/home/" key1_0_s) res_f5) (str.in_re (str.substr res_f5 (str.len (str.++ "b/home/" key1_0_s)) (- (str.len res_f5) (str.len (str.++ "b/home/" key1_0_s)))) (re.++ (str.to_re "/") (re.* re.allchar))))) tpl0))
; new policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= new_s0 (and (= action "s3:getobject") res_arn (= res_f0 "arn") (= res_f1 "aws") (= res_f2 "s3") (= res_f3 "") (= res_f4 "") key1_0_p tpl0)))
; new policy allows the request: some Allow applies and no Deny does
(assert (= new_allows new_s0))
; existing policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= existing_s0 (and (= action "s3:getobject") res_arn (= res_f0 "arn") (= res_f1 "aws") (= res_f2 "s3") (= res_f3 "") (= res_f4 "") (str.in_re res_f5 (re.++ (str.to_re "b/home/") (re.* re.allchar))) key0_0_p (= key0_0_s (ite key1_0_p key1_0_s "none")))))
; existing policy allows the request: some Allow applies and no Deny does
(assert (= existing_allows existing_s0))
; the query: satisfiable exactly when the check fails
(assert (and domain new_allows (not existing_allows)))
