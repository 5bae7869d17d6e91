//! The Z3 backend — the only module that talks to Z3. It loads an SMT-LIB script,
//! answers satisfiability under assumptions with a timeout, and reads model values.
//!
//! libz3 is opened on first use (`dlopen`), not linked: the native SAT backend decides
//! almost every finitized query, and loading and relocating libz3 and libstdc++ at
//! start-up cost every process about 2.5–4 ms, most of a small check's wall time. When
//! the library cannot be opened, every Z3 query answers unknown (never a proof) with the
//! reason, and the report shows it.
//!
//! The crate denies `unsafe`; this module allows it for the C API calls alone.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};
use std::rc::Rc;
use std::sync::OnceLock;

use super::term::decode_model_string;
use super::{Answer, Assignment};

type Ptr = *mut c_void;
type ErrorHandler = Option<unsafe extern "C" fn(Ptr, c_int)>;

/// `Z3_lbool` values.
const L_FALSE: c_int = -1;
const L_TRUE: c_int = 1;

/// The C functions used, resolved once from the shared library (which stays loaded for
/// the life of the process, so the pointers stay valid).
struct Api {
    mk_config: unsafe extern "C" fn() -> Ptr,
    del_config: unsafe extern "C" fn(Ptr),
    mk_context_rc: unsafe extern "C" fn(Ptr) -> Ptr,
    del_context: unsafe extern "C" fn(Ptr),
    set_error_handler: unsafe extern "C" fn(Ptr, ErrorHandler),
    get_error_code: unsafe extern "C" fn(Ptr) -> c_int,
    get_error_msg: unsafe extern "C" fn(Ptr, c_int) -> *const c_char,
    global_param_set: unsafe extern "C" fn(*const c_char, *const c_char),
    get_full_version: unsafe extern "C" fn() -> *const c_char,
    inc_ref: unsafe extern "C" fn(Ptr, Ptr),
    dec_ref: unsafe extern "C" fn(Ptr, Ptr),
    mk_string_symbol: unsafe extern "C" fn(Ptr, *const c_char) -> Ptr,
    mk_solver: unsafe extern "C" fn(Ptr) -> Ptr,
    mk_solver_for_logic: unsafe extern "C" fn(Ptr, Ptr) -> Ptr,
    solver_inc_ref: unsafe extern "C" fn(Ptr, Ptr),
    solver_dec_ref: unsafe extern "C" fn(Ptr, Ptr),
    mk_params: unsafe extern "C" fn(Ptr) -> Ptr,
    params_inc_ref: unsafe extern "C" fn(Ptr, Ptr),
    params_dec_ref: unsafe extern "C" fn(Ptr, Ptr),
    params_set_uint: unsafe extern "C" fn(Ptr, Ptr, Ptr, c_uint),
    solver_set_params: unsafe extern "C" fn(Ptr, Ptr, Ptr),
    solver_from_string: unsafe extern "C" fn(Ptr, Ptr, *const c_char),
    solver_check_assumptions: unsafe extern "C" fn(Ptr, Ptr, c_uint, *const Ptr) -> c_int,
    solver_get_model: unsafe extern "C" fn(Ptr, Ptr) -> Ptr,
    solver_get_reason_unknown: unsafe extern "C" fn(Ptr, Ptr) -> *const c_char,
    model_inc_ref: unsafe extern "C" fn(Ptr, Ptr),
    model_dec_ref: unsafe extern "C" fn(Ptr, Ptr),
    model_eval: unsafe extern "C" fn(Ptr, Ptr, Ptr, bool, *mut Ptr) -> bool,
    mk_bool_sort: unsafe extern "C" fn(Ptr) -> Ptr,
    mk_int_sort: unsafe extern "C" fn(Ptr) -> Ptr,
    mk_real_sort: unsafe extern "C" fn(Ptr) -> Ptr,
    mk_string_sort: unsafe extern "C" fn(Ptr) -> Ptr,
    mk_bv_sort: unsafe extern "C" fn(Ptr, c_uint) -> Ptr,
    mk_const: unsafe extern "C" fn(Ptr, Ptr, Ptr) -> Ptr,
    mk_seq_length: unsafe extern "C" fn(Ptr, Ptr) -> Ptr,
    get_bool_value: unsafe extern "C" fn(Ptr, Ptr) -> c_int,
    get_numeral_int64: unsafe extern "C" fn(Ptr, Ptr, *mut i64) -> bool,
    get_numeral_uint64: unsafe extern "C" fn(Ptr, Ptr, *mut u64) -> bool,
    get_numeral_small: unsafe extern "C" fn(Ptr, Ptr, *mut i64, *mut i64) -> bool,
    is_string: unsafe extern "C" fn(Ptr, Ptr) -> bool,
    get_string: unsafe extern "C" fn(Ptr, Ptr) -> *const c_char,
    ast_to_string: unsafe extern "C" fn(Ptr, Ptr) -> *const c_char,
    _lib: libloading::Library,
}

/// The library names tried, in order.
const LIBRARIES: &[&str] = &["libz3.so.4", "libz3.so", "libz3.dylib"];

fn open(names: &[&str]) -> Result<Api, String> {
    let mut errors = Vec::new();
    let lib = names.iter().find_map(|name| {
        // SAFETY: libz3's initializers have no preconditions on the loading process.
        match unsafe { libloading::Library::new(name) } {
            Ok(lib) => Some(lib),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        }
    });
    let Some(lib) = lib else {
        return Err(format!(
            "libz3 could not be loaded ({}); install libz3-dev (Debian/Ubuntu)",
            errors.join("; ")
        ));
    };
    macro_rules! sym {
        ($name:literal) => {
            // SAFETY: the type is the function's C signature in z3_api.h.
            *unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                .map_err(|e| format!("libz3 lacks `{}`: {e}", $name))?
        };
    }
    Ok(Api {
        mk_config: sym!("Z3_mk_config"),
        del_config: sym!("Z3_del_config"),
        mk_context_rc: sym!("Z3_mk_context_rc"),
        del_context: sym!("Z3_del_context"),
        set_error_handler: sym!("Z3_set_error_handler"),
        get_error_code: sym!("Z3_get_error_code"),
        get_error_msg: sym!("Z3_get_error_msg"),
        global_param_set: sym!("Z3_global_param_set"),
        get_full_version: sym!("Z3_get_full_version"),
        inc_ref: sym!("Z3_inc_ref"),
        dec_ref: sym!("Z3_dec_ref"),
        mk_string_symbol: sym!("Z3_mk_string_symbol"),
        mk_solver: sym!("Z3_mk_solver"),
        mk_solver_for_logic: sym!("Z3_mk_solver_for_logic"),
        solver_inc_ref: sym!("Z3_solver_inc_ref"),
        solver_dec_ref: sym!("Z3_solver_dec_ref"),
        mk_params: sym!("Z3_mk_params"),
        params_inc_ref: sym!("Z3_params_inc_ref"),
        params_dec_ref: sym!("Z3_params_dec_ref"),
        params_set_uint: sym!("Z3_params_set_uint"),
        solver_set_params: sym!("Z3_solver_set_params"),
        solver_from_string: sym!("Z3_solver_from_string"),
        solver_check_assumptions: sym!("Z3_solver_check_assumptions"),
        solver_get_model: sym!("Z3_solver_get_model"),
        solver_get_reason_unknown: sym!("Z3_solver_get_reason_unknown"),
        model_inc_ref: sym!("Z3_model_inc_ref"),
        model_dec_ref: sym!("Z3_model_dec_ref"),
        model_eval: sym!("Z3_model_eval"),
        mk_bool_sort: sym!("Z3_mk_bool_sort"),
        mk_int_sort: sym!("Z3_mk_int_sort"),
        mk_real_sort: sym!("Z3_mk_real_sort"),
        mk_string_sort: sym!("Z3_mk_string_sort"),
        mk_bv_sort: sym!("Z3_mk_bv_sort"),
        mk_const: sym!("Z3_mk_const"),
        mk_seq_length: sym!("Z3_mk_seq_length"),
        get_bool_value: sym!("Z3_get_bool_value"),
        get_numeral_int64: sym!("Z3_get_numeral_int64"),
        get_numeral_uint64: sym!("Z3_get_numeral_uint64"),
        get_numeral_small: sym!("Z3_get_numeral_small"),
        is_string: sym!("Z3_is_string"),
        get_string: sym!("Z3_get_string"),
        ast_to_string: sym!("Z3_ast_to_string"),
        _lib: lib,
    })
}

fn api() -> Result<&'static Api, String> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(|| open(LIBRARIES))
        .as_ref()
        .map_err(Clone::clone)
}

/// A C string Z3 returned (owned by Z3 until its next call), copied out.
fn text(p: *const c_char) -> Option<String> {
    // SAFETY: Z3 returns NUL-terminated strings or null.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// A C string for Z3; an interior NUL (never in generated scripts) is dropped.
fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

/// One reference-counted context per thread (Z3 contexts are not thread-safe), shared
/// by that thread's solvers and models and deleted after the last of them.
struct Context {
    api: &'static Api,
    ptr: Ptr,
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: every object of the context holds an `Rc` to it, so none outlives it.
        unsafe { (self.api.del_context)(self.ptr) }
    }
}

impl Context {
    fn for_this_thread(api: &'static Api) -> Rc<Context> {
        thread_local! {
            static CONTEXT: RefCell<Option<Rc<Context>>> = const { RefCell::new(None) };
        }
        CONTEXT.with(|c| {
            c.borrow_mut()
                .get_or_insert_with(|| {
                    // SAFETY: plain constructor calls; a null error handler makes errors
                    // set the error code instead of aborting.
                    unsafe {
                        let cfg = (api.mk_config)();
                        let ptr = (api.mk_context_rc)(cfg);
                        (api.del_config)(cfg);
                        (api.set_error_handler)(ptr, None);
                        Rc::new(Context { api, ptr })
                    }
                })
                .clone()
        })
    }

    fn symbol(&self, name: &str) -> Ptr {
        let name = c_string(name);
        // SAFETY: symbols are not reference counted and live as long as the context.
        unsafe { (self.api.mk_string_symbol)(self.ptr, name.as_ptr()) }
    }

    /// The last call's error, if any.
    fn error(&self) -> Option<String> {
        // SAFETY: reads the context's error state.
        unsafe {
            let code = (self.api.get_error_code)(self.ptr);
            (code != 0).then(|| {
                text((self.api.get_error_msg)(self.ptr, code)).unwrap_or_else(|| code.to_string())
            })
        }
    }

    /// A constant of the sort `sort` makes (`None` if Z3 refused).
    fn constant(self: &Rc<Self>, name: &str, sort: impl Fn(&Api, Ptr) -> Ptr) -> Option<Ast> {
        let symbol = self.symbol(name);
        // SAFETY: the sort is used at once, while Z3 still holds it as its last result.
        let ptr = unsafe { (self.api.mk_const)(self.ptr, symbol, sort(self.api, self.ptr)) };
        Ast::own(self, ptr)
    }
}

/// A reference-counted Z3 object (AST, solver or model) with one reference held,
/// released on drop by its kind's `dec_ref`.
struct Held {
    ctx: Rc<Context>,
    ptr: Ptr,
    dec_ref: unsafe extern "C" fn(Ptr, Ptr),
}

type Counter = unsafe extern "C" fn(Ptr, Ptr);

impl Held {
    /// Takes a reference to an object Z3 just returned (`None` for null).
    fn take(ctx: &Rc<Context>, ptr: Ptr, (inc_ref, dec_ref): (Counter, Counter)) -> Option<Held> {
        if ptr.is_null() {
            return None;
        }
        // SAFETY: `ptr` is a live object of `ctx` just returned by Z3, of the kind the
        // counters are for.
        unsafe { inc_ref(ctx.ptr, ptr) };
        Some(Held {
            ctx: ctx.clone(),
            ptr,
            dec_ref,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // SAFETY: releases the reference taken in `take`.
        unsafe { (self.dec_ref)(self.ctx.ptr, self.ptr) }
    }
}

/// An AST with a reference held.
type Ast = Held;

impl Ast {
    fn own(ctx: &Rc<Context>, ptr: Ptr) -> Option<Ast> {
        Held::take(ctx, ptr, (ctx.api.inc_ref, ctx.api.dec_ref))
    }
}

pub struct Solver(Result<Loaded, String>);

struct Loaded(Held);

impl Solver {
    /// Loads a script (declarations and assertions only) with a per-check timeout,
    /// into a solver tuned for the script's logic. A failure to load libz3 or the
    /// script shows as an unknown answer.
    pub fn load(script: &str, logic: &str, timeout_ms: u32) -> Solver {
        Solver(api().and_then(|api| Loaded::new(api, script, logic, timeout_ms)))
    }

    /// The timeout of the next checks.
    pub fn set_timeout(&mut self, timeout_ms: u32) {
        if let Ok(l) = &self.0 {
            l.set_timeout(timeout_ms);
        }
    }

    /// Satisfiability of the loaded assertions plus the named Boolean assumptions.
    pub fn check(&self, assumptions: &[&str]) -> Answer {
        match &self.0 {
            Ok(loaded) => loaded.check(assumptions),
            Err(why) => Answer::Unknown(why.clone()),
        }
    }
}

impl Loaded {
    fn new(
        api: &'static Api,
        script: &str,
        logic: &str,
        timeout_ms: u32,
    ) -> Result<Loaded, String> {
        let ctx = Context::for_this_thread(api);
        // SAFETY: calls on this thread's context with objects it just returned; each
        // reference-counted object gets its reference before the next call.
        unsafe {
            let mut ptr = match logic {
                "ALL" => std::ptr::null_mut(),
                other => (api.mk_solver_for_logic)(ctx.ptr, ctx.symbol(other)),
            };
            if ptr.is_null() {
                ptr = (api.mk_solver)(ctx.ptr);
            }
            let counters = (api.solver_inc_ref, api.solver_dec_ref);
            let Some(solver) = Held::take(&ctx, ptr, counters) else {
                return Err(ctx.error().unwrap_or_else(|| "Z3 made no solver".into()));
            };
            let params = (api.mk_params)(ctx.ptr);
            (api.params_inc_ref)(ctx.ptr, params);
            (api.params_set_uint)(ctx.ptr, params, ctx.symbol("timeout"), timeout_ms.max(1));
            (api.solver_set_params)(ctx.ptr, ptr, params);
            (api.params_dec_ref)(ctx.ptr, params);
            let text = c_string(script);
            (api.solver_from_string)(ctx.ptr, ptr, text.as_ptr());
            if let Some(e) = ctx.error() {
                return Err(format!("Z3 rejected the script: {e}"));
            }
            Ok(Loaded(solver))
        }
    }

    fn set_timeout(&self, timeout_ms: u32) {
        let (ctx, solver) = (&self.0.ctx, self.0.ptr);
        // SAFETY: a fresh parameter set of this context, referenced while used.
        unsafe {
            let params = (ctx.api.mk_params)(ctx.ptr);
            (ctx.api.params_inc_ref)(ctx.ptr, params);
            (ctx.api.params_set_uint)(ctx.ptr, params, ctx.symbol("timeout"), timeout_ms.max(1));
            (ctx.api.solver_set_params)(ctx.ptr, solver, params);
            (ctx.api.params_dec_ref)(ctx.ptr, params);
        }
    }

    fn check(&self, assumptions: &[&str]) -> Answer {
        let (ctx, solver) = (&self.0.ctx, self.0.ptr);
        let mut lits = Vec::with_capacity(assumptions.len());
        for a in assumptions {
            match ctx.constant(a, |api, c| unsafe { (api.mk_bool_sort)(c) }) {
                Some(l) => lits.push(l),
                None => return Answer::Unknown(format!("Z3 refused the assumption `{a}`")),
            }
        }
        let raw: Vec<Ptr> = lits.iter().map(|l| l.ptr).collect();
        // SAFETY: the assumptions are live ASTs of this context.
        let result = unsafe {
            (ctx.api.solver_check_assumptions)(ctx.ptr, solver, raw.len() as c_uint, raw.as_ptr())
        };
        match result {
            L_TRUE => {
                // SAFETY: a model exists after a sat answer; it gets its reference at once.
                let model = unsafe { (ctx.api.solver_get_model)(ctx.ptr, solver) };
                match Held::take(ctx, model, (ctx.api.model_inc_ref, ctx.api.model_dec_ref)) {
                    Some(m) => Answer::Sat(Box::new(Model(m))),
                    None => Answer::Unknown("the solver reported sat without a model".into()),
                }
            }
            L_FALSE => Answer::Unsat,
            _ => Answer::Unknown(
                // SAFETY: reads the solver's last reason.
                text(unsafe { (ctx.api.solver_get_reason_unknown)(ctx.ptr, solver) })
                    .or_else(|| ctx.error())
                    .unwrap_or_else(|| "unknown".into()),
            ),
        }
    }
}

/// The smallest memory limit accepted: below it Z3 cannot even create a context.
pub const MIN_MEMORY_MB: u32 = 64;

/// Caps Z3's memory (process-wide); a query that reaches it answers unknown. Z3's global
/// parameters are shared by every thread, so they change only under a lock and only when
/// the value differs (in practice once per process).
pub fn limit_memory(mb: u32) {
    static CURRENT: std::sync::Mutex<Option<u32>> = std::sync::Mutex::new(None);
    let Ok(api) = api() else {
        return;
    };
    let mb = mb.max(MIN_MEMORY_MB);
    let mut current = CURRENT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if *current != Some(mb) {
        let (name, value) = (c_string("memory_max_size"), c_string(&mb.to_string()));
        // SAFETY: sets a global parameter from NUL-terminated strings.
        unsafe { (api.global_param_set)(name.as_ptr(), value.as_ptr()) };
        *current = Some(mb);
    }
}

/// The Z3 library version, for reports.
pub fn version() -> String {
    match api() {
        // SAFETY: returns a static string.
        Ok(api) => text(unsafe { (api.get_full_version)() }).unwrap_or_default(),
        Err(why) => format!("unavailable: {why}"),
    }
}

pub struct Model(Held);

impl Model {
    /// The value of `term` in the model, completed where the model leaves it open.
    fn eval(&self, term: &Ast) -> Option<Ast> {
        let mut out: Ptr = std::ptr::null_mut();
        // SAFETY: evaluates a live AST in a live model of the same context.
        let ok = unsafe {
            (self.0.ctx.api.model_eval)(self.0.ctx.ptr, self.0.ptr, term.ptr, true, &mut out)
        };
        if ok { Ast::own(&self.0.ctx, out) } else { None }
    }

    fn value(&self, name: &str, sort: impl Fn(&Api, Ptr) -> Ptr) -> Option<Ast> {
        self.eval(&self.0.ctx.constant(name, sort)?)
    }

    fn int64(&self, v: &Ast) -> Option<i64> {
        let mut out = 0i64;
        // SAFETY: reads a numeral; false when it is none or does not fit.
        unsafe { (self.0.ctx.api.get_numeral_int64)(self.0.ctx.ptr, v.ptr, &mut out) }
            .then_some(out)
    }

    fn uint64(&self, v: &Ast) -> Option<u64> {
        let mut out = 0u64;
        // SAFETY: as `int64`.
        unsafe { (self.0.ctx.api.get_numeral_uint64)(self.0.ctx.ptr, v.ptr, &mut out) }
            .then_some(out)
    }
}

impl Assignment for Model {
    fn int(&self, name: &str) -> Option<i64> {
        let v = self.value(name, |api, c| unsafe { (api.mk_int_sort)(c) })?;
        self.int64(&v)
    }
    fn bool(&self, name: &str) -> Option<bool> {
        let v = self.value(name, |api, c| unsafe { (api.mk_bool_sort)(c) })?;
        // SAFETY: reads a Boolean value.
        match unsafe { (self.0.ctx.api.get_bool_value)(self.0.ctx.ptr, v.ptr) } {
            L_TRUE => Some(true),
            L_FALSE => Some(false),
            _ => None,
        }
    }
    fn string(&self, name: &str) -> Option<String> {
        let var = self
            .0
            .ctx
            .constant(name, |api, c| unsafe { (api.mk_string_sort)(c) })?;
        let v = self.eval(&var)?;
        // SAFETY: reads a string constant (checked to be one first).
        let raw = unsafe {
            if !(self.0.ctx.api.is_string)(self.0.ctx.ptr, v.ptr) {
                return None;
            }
            text((self.0.ctx.api.get_string)(self.0.ctx.ptr, v.ptr))?
        };
        // SAFETY: builds `str.len` of a live AST.
        let length = unsafe { (self.0.ctx.api.mk_seq_length)(self.0.ctx.ptr, var.ptr) };
        let length = self.eval(&Ast::own(&self.0.ctx, length)?)?;
        let len = self.uint64(&length)? as usize;
        // Z3 escapes characters outside printable ASCII as `\u{..}` but leaves a
        // backslash raw; the length tells which reading is the value.
        let decoded = decode_model_string(&raw);
        if decoded.chars().count() == len {
            Some(decoded)
        } else if raw.chars().count() == len {
            Some(raw)
        } else {
            None
        }
    }
    fn real(&self, name: &str) -> Option<(i64, i64)> {
        let v = self.value(name, |api, c| unsafe { (api.mk_real_sort)(c) })?;
        let (mut num, mut den) = (0i64, 0i64);
        // SAFETY: reads a small rational; false when it is none or too large.
        unsafe { (self.0.ctx.api.get_numeral_small)(self.0.ctx.ptr, v.ptr, &mut num, &mut den) }
            .then_some((num, den))
    }
    fn bv(&self, name: &str, width: u32) -> Option<u128> {
        let v = self.value(name, |api, c| unsafe { (api.mk_bv_sort)(c, width) })?;
        if let Some(u) = self.uint64(&v) {
            return Some(u as u128);
        }
        // SAFETY: prints a live AST.
        let text = text(unsafe { (self.0.ctx.api.ast_to_string)(self.0.ctx.ptr, v.ptr) })?;
        if let Some(hex) = text.strip_prefix("#x") {
            return u128::from_str_radix(hex, 16).ok();
        }
        text.strip_prefix("#b")
            .and_then(|bin| u128::from_str_radix(bin, 2).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_models() {
        let s = Solver::load(
            "(declare-const x Int)(declare-const b Bool)(declare-const s String)\
             (declare-const r Real)(declare-const v (_ BitVec 128))\
             (assert (= x 7))(assert b)(assert (= s \"a\\u{e9}\"))(assert (= r (/ 1 3)))\
             (assert (= v #x0000000000000001ffffffffffffffff))",
            "ALL",
            5000,
        );
        let Answer::Sat(m) = s.check(&[]) else {
            panic!("expected sat");
        };
        assert_eq!(m.int("x"), Some(7));
        assert_eq!(m.bool("b"), Some(true));
        assert_eq!(m.string("s").as_deref(), Some("aé"));
        assert_eq!(m.real("r"), Some((1, 3)));
        assert_eq!(m.bv("v", 128), Some((1u128 << 65) - 1));
        let u = Solver::load("(declare-const a Bool)(assert (not a))", "QF_LIA", 5000);
        assert!(matches!(u.check(&["a"]), Answer::Unsat));
        assert!(matches!(u.check(&[]), Answer::Sat(_)));
    }

    #[test]
    fn a_bad_script_is_unknown_not_an_abort() {
        let s = Solver::load("(assert (= x 1))", "ALL", 5000);
        match s.check(&[]) {
            Answer::Unknown(why) => assert!(why.contains("rejected"), "{why}"),
            _ => panic!("expected unknown"),
        }
    }

    #[test]
    fn a_missing_library_is_a_reason_not_a_crash() {
        let Err(why) = open(&["libhornbeam-no-such-z3.so"]) else {
            panic!("a library that does not exist loaded");
        };
        assert!(why.contains("install libz3-dev"), "{why}");
    }

    #[test]
    fn the_version_names_z3() {
        let v = version();
        assert!(v.split('.').count() >= 3, "{v}");
        assert!(v.chars().next().is_some_and(|c| c.is_ascii_digit()), "{v}");
    }
}
