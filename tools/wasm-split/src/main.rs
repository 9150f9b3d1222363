//! Splits the page's optimised `.wasm` in two, so the page can start on the first part alone.
//!
//! - `split IN PROFILE FIRST SECOND --load-import NAME`: the functions named in PROFILE (one name a
//!   line, as `names` prints them) stay in FIRST, and so do functions without a name (the glue
//!   wasm-bindgen generates); every other defined function moves to SECOND.
//!   In FIRST each moved function keeps its index, type and table slots, and its body becomes a
//!   stub: on the first call it calls the import whose name contains NAME (which instantiates
//!   SECOND synchronously), then it calls the real function through a new table. SECOND imports
//!   FIRST's memory, tables, globals and the functions it calls, fills the new table and the
//!   original table's slots of its functions, and sets FIRST's "loaded" flag from its start
//!   function. Nothing else changes, so the two parts behave exactly like IN.
//! - `instrument IN OUT`: OUT is IN with a second memory, exported as `__split_profile`, in which
//!   every defined function sets its byte on entry (the byte of defined function k is at k).
//! - `names IN INDICES`: prints the names (from IN's name section) of the
//!   defined functions whose indices INDICES lists, sorted and without repeats: a PROFILE.
//!
//! Names rather than indices make a profile outlive small code changes: a function it does not
//! name goes to SECOND, which costs bytes in the wrong part but never correctness.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::process::ExitCode;

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{self as we, Encode};
use wasmparser::{Operator, Parser, Payload};

/// Export-name prefix of everything FIRST exports for SECOND; SECOND imports from module "p".
const PREFIX: &str = "__s_";
const PROFILE_EXPORT: &str = "__split_profile";
/// FIRST's flag, set by SECOND's start function: 1 once SECOND is in.
const LOADED_FLAG: we::GlobalType = we::GlobalType {
    val_type: we::ValType::I32,
    mutable: true,
    shared: false,
};

#[derive(Debug)]
struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: fmt::Debug> From<wasm_encoder::reencode::Error<E>> for Error {
    fn from(e: wasm_encoder::reencode::Error<E>) -> Self {
        Error(format!("re-encoding: {e:?}"))
    }
}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Error(format!("reading the module: {e}"))
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, Error> {
    Err(Error(msg.into()))
}

/// One index space (functions, tables, memories or globals): the imported ones come first.
struct Space<T> {
    imported: Vec<T>,
    defined: Vec<T>,
}

impl<T> Default for Space<T> {
    fn default() -> Self {
        Space {
            imported: Vec::new(),
            defined: Vec::new(),
        }
    }
}

impl<T: Copy> Space<T> {
    fn count(&self) -> u32 {
        (self.imported.len() + self.defined.len()) as u32
    }

    fn get(&self, index: u32) -> T {
        let i = index as usize;
        match self.imported.get(i) {
            Some(t) => *t,
            None => self.defined[i - self.imported.len()],
        }
    }
}

/// The parts of a module the split needs, read once.
#[derive(Default)]
struct Module<'a> {
    /// Every section's contents (without id and size) as read, by section id.
    sections: BTreeMap<u8, &'a [u8]>,
    types: Option<wasmparser::TypeSectionReader<'a>>,
    /// Parameter and result counts of each function type, by type index (None: not a function type).
    func_types: Vec<Option<(u32, u32)>>,
    imports: Vec<wasmparser::Import<'a>>,
    /// Table, memory and global types by index: imported ones first, then defined ones.
    table_types: Space<wasmparser::TableType>,
    memory_types: Space<wasmparser::MemoryType>,
    global_types: Space<wasmparser::GlobalType>,
    /// Type index of each function: imported ones first, then defined ones.
    func_type_of: Space<u32>,
    tables: Option<wasmparser::TableSectionReader<'a>>,
    memories: Option<wasmparser::MemorySectionReader<'a>>,
    globals: Option<wasmparser::GlobalSectionReader<'a>>,
    exports: Option<wasmparser::ExportSectionReader<'a>>,
    start: Option<u32>,
    elements: Option<wasmparser::ElementSectionReader<'a>>,
    /// Each defined function's body: its bytes and where its operators start within them.
    bodies: Vec<(wasmparser::FunctionBody<'a>, &'a [u8], usize)>,
    /// Function names from the name section, by function index.
    names: BTreeMap<u32, String>,
}

impl<'a> Module<'a> {
    fn read(bytes: &'a [u8]) -> Result<Self, Error> {
        let mut features = wasmparser::WasmFeatures::default();
        features.insert(wasmparser::WasmFeatures::MULTI_MEMORY);
        wasmparser::Validator::new_with_features(features).validate_all(bytes)?;
        let mut m = Module::default();
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload?;
            if let Some((id, range)) = payload.as_section() {
                if id != 0 {
                    m.sections.insert(id, &bytes[range]);
                }
            }
            match payload {
                Payload::TypeSection(r) => {
                    for group in r.clone() {
                        for sub in group?.into_types() {
                            m.func_types.push(match &sub.composite_type.inner {
                                wasmparser::CompositeInnerType::Func(f) => {
                                    Some((f.params().len() as u32, f.results().len() as u32))
                                }
                                _ => None,
                            });
                        }
                    }
                    m.types = Some(r);
                }
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        let imp = imp?;
                        match imp.ty {
                            wasmparser::TypeRef::Func(t) => m.func_type_of.imported.push(t),
                            wasmparser::TypeRef::Table(t) => m.table_types.imported.push(t),
                            wasmparser::TypeRef::Memory(t) => m.memory_types.imported.push(t),
                            wasmparser::TypeRef::Global(t) => m.global_types.imported.push(t),
                            _ => {
                                return err(
                                    "the module imports a tag or a function with an exact type",
                                )
                            }
                        }
                        m.imports.push(imp);
                    }
                }
                Payload::FunctionSection(r) => {
                    for t in r {
                        m.func_type_of.defined.push(t?);
                    }
                }
                Payload::TableSection(r) => {
                    for t in r.clone() {
                        m.table_types.defined.push(t?.ty);
                    }
                    m.tables = Some(r);
                }
                Payload::MemorySection(r) => {
                    for t in r.clone() {
                        m.memory_types.defined.push(t?);
                    }
                    m.memories = Some(r);
                }
                Payload::GlobalSection(r) => {
                    for g in r.clone() {
                        m.global_types.defined.push(g?.ty);
                    }
                    m.globals = Some(r);
                }
                Payload::ExportSection(r) => m.exports = Some(r),
                Payload::StartSection { func, .. } => m.start = Some(func),
                Payload::ElementSection(r) => m.elements = Some(r),
                Payload::CodeSectionEntry(body) => {
                    let range = body.range();
                    let ops =
                        body.get_binary_reader_for_operators()?.original_position() - range.start;
                    m.bodies.push((body, &bytes[range], ops));
                }
                Payload::CustomSection(c) => {
                    if let wasmparser::KnownCustom::Name(names) = c.as_known() {
                        for sub in names {
                            if let wasmparser::Name::Function(map) = sub? {
                                for naming in map {
                                    let naming = naming?;
                                    m.names.insert(naming.index, naming.name.to_string());
                                }
                            }
                        }
                    }
                }
                Payload::TagSection(_) => {
                    return err("the module has exception tags, which the split does not handle")
                }
                Payload::DataCountSection { .. }
                | Payload::DataSection(_)
                | Payload::CodeSectionStart { .. }
                | Payload::Version { .. }
                | Payload::End(_) => {}
                other => {
                    if let Some((id, _)) = other.as_section() {
                        return err(format!("unexpected section {id}"));
                    }
                }
            }
        }
        Ok(m)
    }

    /// The function's name. Rustc's names end with a hash of the function's path, crate and
    /// generic arguments, which tells apart the copies of a generic function and stays the same
    /// across unrelated code changes.
    fn name(&self, func: u32) -> Option<&str> {
        self.names.get(&func).map(String::as_str)
    }

    /// The module with its sections in order: those given in `replace` by id instead of the
    /// originals, the rest copied as read. Custom sections are left out.
    fn emit(&self, mut replace: BTreeMap<u8, Vec<u8>>) -> Vec<u8> {
        let mut out = we::Module::new();
        // Section ids in the order a module has them (data count before code).
        for id in [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11] {
            if let Some(data) = replace.remove(&id) {
                out.section(&we::RawSection { id, data: &data });
            } else if let Some(data) = self.sections.get(&id) {
                out.section(&we::RawSection { id, data });
            }
        }
        out.finish()
    }
}

/// A section's contents without its id and size prefix.
fn contents(section: &impl we::Section) -> Vec<u8> {
    let mut bytes = Vec::new();
    section.encode(&mut bytes);
    // Skip the size (LEB128): what follows it is the contents.
    let mut at = 0;
    while bytes[at] & 0x80 != 0 {
        at += 1;
    }
    bytes.split_off(at + 1)
}

fn tables_with<'a>(m: &Module<'a>, extra: we::TableType) -> Result<Vec<u8>, Error> {
    let mut s = we::TableSection::new();
    if let Some(r) = m.tables.clone() {
        RoundtripReencoder.parse_table_section(&mut s, r)?;
    }
    s.table(extra);
    Ok(contents(&s))
}

fn exports_with<'a>(
    m: &Module<'a>,
    extra: &[(String, we::ExportKind, u32)],
) -> Result<Vec<u8>, Error> {
    let mut s = we::ExportSection::new();
    if let Some(r) = m.exports.clone() {
        RoundtripReencoder.parse_export_section(&mut s, r)?;
    }
    for (name, kind, index) in extra {
        s.export(name, *kind, *index);
    }
    Ok(contents(&s))
}

/// `instrument`: every defined function marks its byte in a new memory on entry.
fn instrument(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let m = Module::read(bytes)?;
    let profile_memory = m.memory_types.count();
    let pages = (m.bodies.len() as u64).div_ceil(65536).max(1);
    let mut memories = we::MemorySection::new();
    if let Some(r) = m.memories.clone() {
        RoundtripReencoder.parse_memory_section(&mut memories, r)?;
    }
    memories.memory(we::MemoryType {
        minimum: pages,
        maximum: Some(pages),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut code = we::CodeSection::new();
    for (k, (_, body, ops)) in m.bodies.iter().enumerate() {
        let mut new_body = body[..*ops].to_vec();
        for ins in [
            we::Instruction::I32Const(0),
            we::Instruction::I32Const(1),
            we::Instruction::I32Store8(we::MemArg {
                offset: k as u64,
                align: 0,
                memory_index: profile_memory,
            }),
        ] {
            ins.encode(&mut new_body);
        }
        new_body.extend_from_slice(&body[*ops..]);
        code.raw(&new_body);
    }
    let mut replace = BTreeMap::new();
    replace.insert(5, contents(&memories));
    replace.insert(
        7,
        exports_with(
            &m,
            &[(
                PROFILE_EXPORT.to_string(),
                we::ExportKind::Memory,
                profile_memory,
            )],
        )?,
    );
    replace.insert(10, contents(&code));
    Ok(m.emit(replace))
}

/// `names`: the profile lines of the defined functions with the given indices.
fn names(bytes: &[u8], defined: &BTreeSet<u32>) -> Result<Vec<String>, Error> {
    let m = Module::read(bytes)?;
    if m.names.is_empty() {
        return err("the module has no function names (build it with its name section)");
    }
    let mut out = BTreeSet::new();
    for &k in defined {
        if let Some(name) = m.name((m.func_type_of.imported.len() as u32) + k) {
            out.insert(name.to_string());
        }
    }
    Ok(out.into_iter().collect())
}

/// Renumbers the functions of SECOND: moved functions after the imported ones.
struct Renumber {
    new_index: BTreeMap<u32, u32>,
}

impl Reencode for Renumber {
    type Error = String;

    fn function_index(&mut self, func: u32) -> Result<u32, wasm_encoder::reencode::Error<String>> {
        self.new_index.get(&func).copied().ok_or_else(|| {
            wasm_encoder::reencode::Error::UserError(format!(
                "function {func} has no place in the second part"
            ))
        })
    }
}

/// An active element segment at a constant offset: its table, offset and, per slot, the
/// function it holds (None: not a plain function reference). Other segments: None.
fn active_segment(seg: wasmparser::Element<'_>) -> Option<(u32, i32, Vec<Option<u32>>)> {
    let wasmparser::ElementKind::Active {
        table_index,
        offset_expr,
    } = seg.kind
    else {
        return None;
    };
    let Ok(Operator::I32Const { value: offset }) = offset_expr.get_operators_reader().read() else {
        return None;
    };
    let funcs = match seg.items {
        wasmparser::ElementItems::Functions(r) => r.into_iter().map(|f| f.ok()).collect(),
        wasmparser::ElementItems::Expressions(_, r) => r
            .into_iter()
            .map(|e| match e.ok()?.get_operators_reader().read().ok()? {
                Operator::RefFunc { function_index } => Some(function_index),
                _ => None,
            })
            .collect(),
    };
    Some((table_index.unwrap_or(0), offset, funcs))
}

struct Split {
    first: Vec<u8>,
    second: Vec<u8>,
    kept: usize,
    moved: usize,
    /// How many of the profile's names this module has (the rest are from older code).
    profile_found: usize,
}

fn split(bytes: &[u8], profile: &BTreeSet<String>, load_import: &str) -> Result<Split, Error> {
    let m = Module::read(bytes)?;
    if m.names.is_empty() {
        return err("the module has no function names (build it with its name section)");
    }
    let imports = m.func_type_of.imported.len() as u32;
    let load = {
        let mut func = 0;
        let mut found = None;
        for imp in &m.imports {
            if let wasmparser::TypeRef::Func(t) = imp.ty {
                if imp.name.contains(load_import) {
                    if m.func_types.get(t as usize) != Some(&Some((0, 0))) {
                        return err(format!(
                            "the import {} must take and return nothing",
                            imp.name
                        ));
                    }
                    found = Some(func);
                }
                func += 1;
            }
        }
        match found {
            Some(f) => f,
            None => {
                return err(format!(
                    "no imported function has \"{load_import}\" in its name"
                ))
            }
        }
    };
    // Defined functions that move: named, and not in the profile. Unnamed ones (wasm-bindgen's
    // generated glue, small, which no profile can name) and the start function stay.
    let moved: Vec<u32> = (0..m.bodies.len() as u32)
        .map(|k| imports + k)
        .filter(|&f| Some(f) != m.start && m.name(f).is_some_and(|n| !profile.contains(n)))
        .collect();
    let moved_set: BTreeSet<u32> = moved.iter().copied().collect();

    // What the moved functions use from FIRST.
    let mut needed = BTreeSet::new();
    for &f in &moved {
        let (body, _, _) = &m.bodies[(f - imports) as usize];
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            match ops.read()? {
                Operator::Call { function_index }
                | Operator::ReturnCall { function_index }
                | Operator::RefFunc { function_index }
                    if !moved_set.contains(&function_index) =>
                {
                    needed.insert(function_index);
                }
                Operator::MemoryInit { .. } | Operator::DataDrop { .. } => {
                    return err(format!(
                        "function {f} uses a passive data segment, which the split does not move"
                    ));
                }
                _ => {}
            }
        }
    }

    // FIRST: stubs, the split table, the loaded flag and the exports SECOND imports.
    let split_table = m.table_types.count();
    let loaded = m.global_types.count();
    let slot: BTreeMap<u32, u32> = moved
        .iter()
        .enumerate()
        .map(|(k, &f)| (f, k as u32))
        .collect();
    let mut code = we::CodeSection::new();
    for (k, (_, body, _)) in m.bodies.iter().enumerate() {
        let f = imports + k as u32;
        match slot.get(&f) {
            None => {
                code.raw(body);
            }
            Some(&s) => {
                let ty = m.func_type_of.defined[k];
                let Some((params, _)) = m.func_types[ty as usize] else {
                    return err(format!("function {f} has no function type"));
                };
                let mut stub = we::Function::new([]);
                stub.instruction(&we::Instruction::GlobalGet(loaded))
                    .instruction(&we::Instruction::I32Eqz)
                    .instruction(&we::Instruction::If(we::BlockType::Empty))
                    .instruction(&we::Instruction::Call(load))
                    .instruction(&we::Instruction::End);
                for p in 0..params {
                    stub.instruction(&we::Instruction::LocalGet(p));
                }
                stub.instruction(&we::Instruction::I32Const(s as i32))
                    .instruction(&we::Instruction::CallIndirect {
                        type_index: ty,
                        table_index: split_table,
                    })
                    .instruction(&we::Instruction::End);
                let mut encoded = Vec::new();
                stub.encode(&mut encoded);
                // `encode` wrote the size first; the code section adds its own.
                let mut at = 0;
                while encoded[at] & 0x80 != 0 {
                    at += 1;
                }
                code.raw(&encoded[at + 1..]);
            }
        }
    }
    let funcref_table = |n: u32| we::TableType {
        element_type: we::RefType::FUNCREF,
        table64: false,
        minimum: n as u64,
        maximum: Some(n as u64),
        shared: false,
    };
    let mut globals = we::GlobalSection::new();
    if let Some(r) = m.globals.clone() {
        RoundtripReencoder.parse_global_section(&mut globals, r)?;
    }
    globals.global(LOADED_FLAG, &we::ConstExpr::i32_const(0));
    let mut extra_exports: Vec<(String, we::ExportKind, u32)> = Vec::new();
    for &f in &needed {
        extra_exports.push((format!("{PREFIX}f{f}"), we::ExportKind::Func, f));
    }
    for t in 0..=split_table {
        extra_exports.push((format!("{PREFIX}t{t}"), we::ExportKind::Table, t));
    }
    for g in 0..=loaded {
        extra_exports.push((format!("{PREFIX}g{g}"), we::ExportKind::Global, g));
    }
    for mem in 0..m.memory_types.count() {
        extra_exports.push((format!("{PREFIX}m{mem}"), we::ExportKind::Memory, mem));
    }
    let mut replace = BTreeMap::new();
    replace.insert(4, tables_with(&m, funcref_table(moved.len() as u32))?);
    replace.insert(6, contents(&globals));
    replace.insert(7, exports_with(&m, &extra_exports)?);
    replace.insert(10, contents(&code));
    let first = m.emit(replace);

    // SECOND: imports everything from FIRST under the names above, then the moved functions.
    let mut types = we::TypeSection::new();
    if let Some(r) = m.types.clone() {
        RoundtripReencoder.parse_type_section(&mut types, r)?;
    }
    let init_type = m.func_types.len() as u32;
    types.ty().function([], []);
    let mut imports_s = we::ImportSection::new();
    let mut new_index = BTreeMap::new();
    for (k, &f) in needed.iter().enumerate() {
        let ty = m.func_type_of.get(f);
        imports_s.import("p", &format!("{PREFIX}f{f}"), we::EntityType::Function(ty));
        new_index.insert(f, k as u32);
    }
    // Tables, globals and the memory, in FIRST's order, so their indices need no change.
    let mut import = |kind: char, index: u32, ty: we::EntityType| {
        imports_s.import("p", &format!("{PREFIX}{kind}{index}"), ty);
    };
    for t in 0..split_table {
        import(
            't',
            t,
            we::EntityType::Table(RoundtripReencoder.table_type(m.table_types.get(t))?),
        );
    }
    import(
        't',
        split_table,
        we::EntityType::Table(funcref_table(moved.len() as u32)),
    );
    for g in 0..loaded {
        import(
            'g',
            g,
            we::EntityType::Global(RoundtripReencoder.global_type(m.global_types.get(g))?),
        );
    }
    import('g', loaded, we::EntityType::Global(LOADED_FLAG));
    for mem in 0..m.memory_types.count() {
        import(
            'm',
            mem,
            we::EntityType::Memory(RoundtripReencoder.memory_type(m.memory_types.get(mem))?),
        );
    }
    let base = needed.len() as u32;
    for (k, &f) in moved.iter().enumerate() {
        new_index.insert(f, base + k as u32);
    }
    let init_func = base + moved.len() as u32;
    let mut funcs = we::FunctionSection::new();
    for &f in &moved {
        funcs.function(m.func_type_of.get(f));
    }
    funcs.function(init_type);
    // Elements: the split table in slot order, then the original tables' slots that held a
    // moved function (so calls through them skip the stub once SECOND is in).
    let mut elements = we::ElementSection::new();
    let split_elems: Vec<u32> = moved.iter().map(|f| new_index[f]).collect();
    elements.active(
        Some(split_table),
        &we::ConstExpr::i32_const(0),
        we::Elements::Functions(Cow::Owned(split_elems)),
    );
    if let Some(r) = m.elements.clone() {
        for seg in r {
            let Some((table, offset, funcs_in_seg)) = active_segment(seg?) else {
                continue;
            };
            let mut run: Vec<u32> = Vec::new();
            let mut run_start = 0;
            for (pos, f) in funcs_in_seg.iter().enumerate() {
                match f.filter(|f| moved_set.contains(f)) {
                    Some(f) => {
                        if run.is_empty() {
                            run_start = offset + pos as i32;
                        }
                        run.push(new_index[&f]);
                    }
                    None if !run.is_empty() => {
                        let items = std::mem::take(&mut run);
                        elements.active(
                            Some(table),
                            &we::ConstExpr::i32_const(run_start),
                            we::Elements::Functions(Cow::Owned(items)),
                        );
                    }
                    None => {}
                }
            }
            if !run.is_empty() {
                elements.active(
                    Some(table),
                    &we::ConstExpr::i32_const(run_start),
                    we::Elements::Functions(Cow::Owned(run)),
                );
            }
        }
    }
    let mut code_s = we::CodeSection::new();
    let mut renumber = Renumber { new_index };
    for &f in &moved {
        let (body, _, _) = m.bodies[(f - imports) as usize].clone();
        renumber.parse_function_body(&mut code_s, body)?;
    }
    let mut init = we::Function::new([]);
    init.instruction(&we::Instruction::I32Const(1))
        .instruction(&we::Instruction::GlobalSet(loaded))
        .instruction(&we::Instruction::End);
    code_s.function(&init);
    let mut second = we::Module::new();
    second.section(&types);
    second.section(&imports_s);
    second.section(&funcs);
    second.section(&we::StartSection {
        function_index: init_func,
    });
    second.section(&elements);
    second.section(&code_s);
    let second = second.finish();

    let mut features = wasmparser::WasmFeatures::default();
    features.insert(wasmparser::WasmFeatures::MULTI_MEMORY);
    for (what, bytes) in [("first part", &first), ("second part", &second)] {
        if let Err(e) = wasmparser::Validator::new_with_features(features).validate_all(bytes) {
            return err(format!("the {what} does not validate: {e}"));
        }
    }
    Ok(Split {
        first,
        second,
        kept: m.bodies.len() - moved.len(),
        moved: moved.len(),
        profile_found: m
            .names
            .values()
            .filter(|n| profile.contains(n.as_str()))
            .count(),
    })
}

fn read(path: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error(format!("{path}: {e}")))
}

fn write(path: &str, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| Error(format!("{path}: {e}")))
}

fn run(args: &[String]) -> Result<(), Error> {
    let usage = "usage: migrascope-wasm-split split IN PROFILE FIRST SECOND --load-import NAME\n       \
                 migrascope-wasm-split instrument IN OUT\n       migrascope-wasm-split names IN INDICES";
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["split", input, profile, first, second, "--load-import", load] => {
            let bytes = read(input)?;
            let profile_text = String::from_utf8(read(profile)?)
                .map_err(|_| Error(format!("{profile}: not UTF-8")))?;
            let names: BTreeSet<String> = profile_text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect();
            let s = split(&bytes, &names, load)?;
            write(first, &s.first)?;
            write(second, &s.second)?;
            println!(
                "split {input}: {} functions stay ({} bytes), {} move ({} bytes); \
                 {} of the profile's {} names are in this build",
                s.kept,
                s.first.len(),
                s.moved,
                s.second.len(),
                s.profile_found,
                names.len()
            );
            Ok(())
        }
        ["instrument", input, output] => write(output, &instrument(&read(input)?)?),
        ["names", input, indices] => {
            let text = String::from_utf8(read(indices)?)
                .map_err(|_| Error(format!("{indices}: not UTF-8")))?;
            let mut set = BTreeSet::new();
            for word in text.split_whitespace() {
                set.insert(
                    word.parse::<u32>()
                        .map_err(|_| Error(format!("{indices}: not an index: {word}")))?,
                );
            }
            for name in names(&read(input)?, &set)? {
                println!("{name}");
            }
            Ok(())
        }
        _ => err(usage),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("migrascope-wasm-split: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOAD: &str = "__wbg_migrascopeSecondPartLoad_0123";

    /// A small module shaped like the page's: imports (the load function first), a table, a
    /// memory, a stack-pointer global, and three functions: `keep` calls `move`, `move` calls
    /// back into `keep` and an import and uses the global, and an unnamed one. The table holds
    /// `move` and the unnamed one.
    fn module(passive_data: bool) -> Vec<u8> {
        let mut m = we::Module::new();
        let mut types = we::TypeSection::new();
        types.ty().function([we::ValType::I32], [we::ValType::I32]);
        types.ty().function([], []);
        m.section(&types);
        let mut imports = we::ImportSection::new();
        imports.import("wbg", LOAD, we::EntityType::Function(1));
        imports.import("wbg", "__wbg_other_4567", we::EntityType::Function(0));
        m.section(&imports);
        let mut funcs = we::FunctionSection::new();
        funcs.function(0).function(0).function(0);
        m.section(&funcs);
        let mut tables = we::TableSection::new();
        tables.table(we::TableType {
            element_type: we::RefType::FUNCREF,
            table64: false,
            minimum: 2,
            maximum: Some(2),
            shared: false,
        });
        m.section(&tables);
        let mut memories = we::MemorySection::new();
        memories.memory(we::MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        m.section(&memories);
        let mut globals = we::GlobalSection::new();
        globals.global(
            we::GlobalType {
                val_type: we::ValType::I32,
                mutable: true,
                shared: false,
            },
            &we::ConstExpr::i32_const(1024),
        );
        m.section(&globals);
        let mut exports = we::ExportSection::new();
        exports
            .export("keep", we::ExportKind::Func, 2)
            .export("moved", we::ExportKind::Func, 3)
            .export("memory", we::ExportKind::Memory, 0);
        m.section(&exports);
        let mut elements = we::ElementSection::new();
        elements.active(
            Some(0),
            &we::ConstExpr::i32_const(0),
            we::Elements::Functions(Cow::Borrowed(&[3, 4])),
        );
        m.section(&elements);
        if passive_data {
            m.section(&we::DataCountSection { count: 1 });
        }
        let mut code = we::CodeSection::new();
        let mut keep = we::Function::new([]);
        keep.instruction(&we::Instruction::LocalGet(0))
            .instruction(&we::Instruction::Call(3))
            .instruction(&we::Instruction::End);
        code.function(&keep);
        let mut moved = we::Function::new([]);
        moved
            .instruction(&we::Instruction::GlobalGet(0))
            .instruction(&we::Instruction::Call(1))
            .instruction(&we::Instruction::Call(2))
            .instruction(&we::Instruction::Drop)
            .instruction(&we::Instruction::LocalGet(0));
        if passive_data {
            moved
                .instruction(&we::Instruction::I32Const(0))
                .instruction(&we::Instruction::I32Const(0))
                .instruction(&we::Instruction::I32Const(0))
                .instruction(&we::Instruction::MemoryInit {
                    mem: 0,
                    data_index: 0,
                });
        }
        moved.instruction(&we::Instruction::End);
        code.function(&moved);
        let mut unnamed = we::Function::new([]);
        unnamed
            .instruction(&we::Instruction::LocalGet(0))
            .instruction(&we::Instruction::End);
        code.function(&unnamed);
        m.section(&code);
        if passive_data {
            let mut data = we::DataSection::new();
            data.passive([1u8, 2, 3]);
            m.section(&data);
        }
        let mut names = we::NameSection::new();
        let mut map = we::NameMap::new();
        map.append(0, LOAD);
        map.append(2, "app::keep::h0000000000000001");
        map.append(3, "app::move::h0000000000000002");
        names.functions(&map);
        m.section(&names);
        m.finish()
    }

    fn profile(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    /// (imports as "module.name", functions' operators as text, element segments as
    /// (table, offset, function indices), exports as names).
    #[allow(clippy::type_complexity)]
    fn shape(
        bytes: &[u8],
    ) -> (
        Vec<String>,
        Vec<Vec<String>>,
        Vec<(u32, i32, Vec<u32>)>,
        Vec<String>,
    ) {
        let (mut imports, mut bodies, mut elems, mut exports) = (vec![], vec![], vec![], vec![]);
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.unwrap() {
                Payload::ImportSection(r) => {
                    for i in r.into_imports() {
                        let i = i.unwrap();
                        imports.push(format!("{}.{}", i.module, i.name));
                    }
                }
                Payload::CodeSectionEntry(b) => {
                    let mut ops = b.get_operators_reader().unwrap();
                    let mut out = vec![];
                    while !ops.eof() {
                        out.push(format!("{:?}", ops.read().unwrap()));
                    }
                    bodies.push(out);
                }
                Payload::ElementSection(r) => {
                    for seg in r {
                        let (table, offset, funcs) = active_segment(seg.unwrap()).unwrap();
                        elems.push((
                            table,
                            offset,
                            funcs.into_iter().map(Option::unwrap).collect(),
                        ));
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        exports.push(e.unwrap().name.to_string());
                    }
                }
                _ => {}
            }
        }
        (imports, bodies, elems, exports)
    }

    #[test]
    fn a_function_left_out_of_the_profile_moves_behind_a_stub() {
        let s = split(
            &module(false),
            &profile(&["app::keep::h0000000000000001"]),
            "migrascopeSecondPartLoad",
        )
        .unwrap();
        assert_eq!(
            (s.kept, s.moved),
            (2, 1),
            "keep and the unnamed function stay; move moves"
        );

        let (_, bodies, _, exports) = shape(&s.first);
        assert_eq!(
            bodies[0],
            [
                "LocalGet { local_index: 0 }",
                "Call { function_index: 3 }",
                "End"
            ],
            "kept as it was"
        );
        assert_eq!(
            bodies[1],
            [
                "GlobalGet { global_index: 1 }",
                "I32Eqz",
                "If { blockty: Empty }",
                "Call { function_index: 0 }",
                "End",
                "LocalGet { local_index: 0 }",
                "I32Const { value: 0 }",
                "CallIndirect { type_index: 0, table_index: 1 }",
                "End"
            ],
            "the stub loads the second part once, then calls through the split table"
        );
        assert_eq!(bodies[2], ["LocalGet { local_index: 0 }", "End"]);
        for name in [
            "keep", "moved", "memory", "__s_f1", "__s_f2", "__s_t0", "__s_t1", "__s_g0", "__s_g1",
            "__s_m0",
        ] {
            assert!(
                exports.iter().any(|e| e == name),
                "first part exports {name}: {exports:?}"
            );
        }
        assert!(
            !exports.iter().any(|e| e == "__s_f0" || e == "__s_f4"),
            "only what the second part calls: {exports:?}"
        );

        let (imports, bodies, elems, _) = shape(&s.second);
        assert_eq!(
            imports,
            ["p.__s_f1", "p.__s_f2", "p.__s_t0", "p.__s_t1", "p.__s_g0", "p.__s_g1", "p.__s_m0"]
        );
        // Functions: imports 0 (f1) and 1 (f2), then move (2) and the start function (3).
        assert_eq!(
            bodies[0],
            [
                "GlobalGet { global_index: 0 }",
                "Call { function_index: 0 }",
                "Call { function_index: 1 }",
                "Drop",
                "LocalGet { local_index: 0 }",
                "End"
            ],
            "calls renumbered to the imports"
        );
        assert_eq!(
            bodies[1],
            [
                "I32Const { value: 1 }",
                "GlobalSet { global_index: 1 }",
                "End"
            ],
            "start sets the loaded flag"
        );
        assert_eq!(
            elems,
            [(1, 0, vec![2]), (0, 0, vec![2])],
            "split table slot 0, and the original table's slot of move"
        );
    }

    #[test]
    fn unnamed_and_profiled_functions_never_move() {
        let s = split(
            &module(false),
            &profile(&[
                "app::keep::h0000000000000001",
                "app::move::h0000000000000002",
            ]),
            "migrascopeSecondPartLoad",
        )
        .unwrap();
        assert_eq!((s.kept, s.moved), (3, 0));
        let (_, bodies, _, _) = shape(&s.first);
        assert!(
            bodies
                .iter()
                .all(|b| !b.iter().any(|op| op.starts_with("CallIndirect"))),
            "no stubs"
        );
    }

    #[test]
    fn what_cannot_be_split_is_refused_with_a_reason() {
        let e = split(&module(false), &profile(&[]), "noSuchImport")
            .err()
            .unwrap();
        assert!(
            e.0.contains("no imported function has \"noSuchImport\""),
            "{e}"
        );
        let e = split(
            &module(true),
            &profile(&["app::keep::h0000000000000001"]),
            "migrascopeSecondPartLoad",
        )
        .err()
        .unwrap();
        assert!(e.0.contains("passive data segment"), "{e}");
        let e = split(&module(false), &profile(&[]), "other").err().unwrap();
        assert!(e.0.contains("must take and return nothing"), "{e}");
        let e = split(b"\0asm\x01\0\0\0\x01", &profile(&[]), "x")
            .err()
            .unwrap();
        assert!(e.0.starts_with("reading the module"), "{e}");
    }

    #[test]
    fn instrumented_functions_mark_their_byte_and_names_reads_them_back() {
        let out = instrument(&module(false)).unwrap();
        let (_, bodies, _, exports) = shape(&out);
        assert!(exports.iter().any(|e| e == PROFILE_EXPORT));
        for (k, body) in bodies.iter().enumerate() {
            assert_eq!(body[2], format!("I32Store8 {{ memarg: MemArg {{ align: 0, max_align: 0, offset: {k}, memory: 1 }} }}"));
        }
        let listed = names(&module(false), &[0, 1, 2].into_iter().collect()).unwrap();
        assert_eq!(
            listed,
            [
                "app::keep::h0000000000000001",
                "app::move::h0000000000000002"
            ],
            "the unnamed one has no line"
        );
    }
}
