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
(declare-const key0_0_d Int)
(declare-const key0_0_isd Bool)
(declare-const key1_0_p Bool)
(declare-const key2_0_p Bool)
(declare-const key2_0_ip4 (_ BitVec 32))
(declare-const key2_0_ip6 (_ BitVec 128))
(declare-const key2_0_is4 Bool)
(declare-const key2_0_is6 Bool)
(declare-const key3_0_p Bool)
(declare-const key3_0_n Real)
(declare-const key3_0_isn Bool)
(declare-const key4_0_p Bool)
(declare-const action String)
(declare-const principal String)
(declare-const key0_0_s String)
(declare-const key1_0_s String)
(declare-const key2_0_s String)
(declare-const key3_0_s String)
(declare-const key4_0_s String)
(declare-const domain Bool)
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
; `aws:sourceip`: an address is IPv4 or IPv6, not both
(assert (not (and key2_0_is4 key2_0_is6)))
; `action`: compared only ignoring case, so its value is taken lower-cased
(assert (str.in_re action (re.* (re.union (re.range " " "@") (re.range "[" "~")))))
; `aws:securetransport`: U+0130 lower-cases to two characters, which regular expressions over single characters cannot follow
(assert (not (str.contains key1_0_s "\u{130}")))
; every request: an IAM caller's value is an ARN with an account field; identity policies serve IAM callers; each key read holds values of its documented type and is present where AWS documents it always is
(assert (= domain (and (or (not (= pkind 1)) (and (= pkind 1) (= pr_f0 "arn")) (and (not (= pkind 1)) (str.in_re principal (re.++ (str.to_re "arn:") (re.* (re.inter re.allchar (re.comp (str.to_re ":")))) (str.to_re ":") (re.* (re.inter re.allchar (re.comp (str.to_re ":")))) (str.to_re ":") (re.* (re.inter re.allchar (re.comp (str.to_re ":")))) (str.to_re ":") (re.* (re.inter re.allchar (re.comp (str.to_re ":")))) (str.to_re ":") (re.* re.allchar))))) (= pkind 1) (or (not key0_0_p) key0_0_isd) key0_0_p (or (not key1_0_p) (= key1_0_s "true") (= key1_0_s "false")) key1_0_p (or (not key2_0_p) key2_0_is4 key2_0_is6) (or (not key3_0_p) key3_0_isn))))
; new policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= new_s0 (and (str.in_re action (re.++ (str.to_re "s3:") (re.* re.allchar))) (or res_arn (and (not res_arn) (= res_other 0))) key4_0_p (str.in_re key4_0_s (re.++ (str.to_re "home/") (re.* re.allchar))) key3_0_p key3_0_isn (<= key3_0_n 100.0) key0_0_p key0_0_isd (< key0_0_d 1893456000000) key2_0_p key2_0_is4 (= (bvand key2_0_ip4 (_ bv4278190080 32)) (_ bv167772160 32)) key1_0_p (str.in_re key1_0_s (re.++ (re.union (str.to_re "T") (str.to_re "t")) (re.union (str.to_re "R") (str.to_re "r")) (re.union (str.to_re "U") (str.to_re "u")) (re.union (str.to_re "E") (str.to_re "e")))))))
; new policy allows the request: some Allow applies and no Deny does
(assert (= new_allows new_s0))
; existing policy, statement index: 0 (Allow) at /Statement: applies to the request
(assert (= existing_s0 (and (str.in_re action (re.++ (str.to_re "s3:") (re.* re.allchar))) (or res_arn (and (not res_arn) (= res_other 0))) (or (not key4_0_p) (and key4_0_p (or (not key4_0_p) (not (= key4_0_s "secret"))))) key3_0_p key3_0_isn (< key3_0_n 1000.0) (or (not key2_0_p) (and key2_0_p (or (not key2_0_p) (not (and key2_0_is4 (= (bvand key2_0_ip4 (_ bv4294901760 32)) (_ bv168361984 32))))))) key1_0_p)))
; existing policy allows the request: some Allow applies and no Deny does
(assert (= existing_allows existing_s0))
; the query: satisfiable exactly when the check fails
(assert (and domain new_allows (not existing_allows)))
