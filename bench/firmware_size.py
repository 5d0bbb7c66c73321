"""Firmware footprint benchmark: the zoo's portable tiny models as Cortex-M55 firmware
(mps3_an547), linked against the ExecuTorch install in EXECUTORCH_CORTEX_M_PREFIX.

Per model: flash (code, read-only data, the embedded .pte and .data's load image), RAM (.data +
.bss, which holds the planned-memory and pool arenas; the 32 KiB stack comes on top), the .pte
size, the planned memory from the export manifest, and the guest instructions per inference
counted by a QEMU plugin (machine-independent, unlike the host time QEMU runs at). Flash and RAM
are broken down by where each symbol comes from: our firmware main, the ExecuTorch runtime,
the kernels, the C/C++ libraries, the model. References: ExecuTorch's published core runtime
footprint (< 50 KB) and the limit of its Cortex-M size test in CI (118,000 bytes for a stripped
runtime + C library + main ELF without kernels or model).

Usage: EXECUTORCH_CORTEX_M_PREFIX=/path/to/prefix bazel run //bench:firmware_size
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ENV = "EXECUTORCH_CORTEX_M_PREFIX"
CORE_REFERENCE = 50 * 1000  # ExecuTorch's "core runtime under 50 KB"
SIZE_TEST_LIMIT = 118000  # ExecuTorch CI, test-arm-cortex-m-size-test (arm-none-eabi, stripped ELF)
CPU_FLAGS = ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"]
QEMU = ["qemu-system-arm", "-M", "mps3-an547", "-nographic", "-semihosting-config", "enable=on,target=native"]

# Archives by group, in the order the firmware links them (a symbol defined in several, such as
# inline or template code, counts for the first).
RUNTIME = ["extension_data_loader", "executorch", "executorch_core"]
KERNELS = ["executorch_selected_kernels", "portable_ops_lib", "optimized_native_cpu_ops_lib", "quantized_ops_lib",
           "cortex_m_ops_lib", "optimized_kernels", "quantized_kernels", "cortex_m_kernels", "portable_kernels",
           "kernels_util_all_deps"]
LINK_ORDER = KERNELS[:5] + RUNTIME[:2] + KERNELS[5:] + RUNTIME[2:]
TOOLCHAIN_LIBS = ["libstdc++.a", "libm.a", "libc.a", "librdimon.a", "libgcc.a"]
ARENAS = ("planned_arena", "method_pool", "temp_pool")
FLASH_SECTIONS = (".vectors", ".text", ".ARM.extab", ".ARM.exidx")
GROUPS = ["firmware main (ours)", "ExecuTorch runtime", "kernels", "C/C++ libraries", "arenas", "unattributed"]


def tool(name):
    return "arm-none-eabi-" + name


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kwargs).stdout


def defined_symbols(archive):
    names = set()
    for line in run([tool("nm"), "--defined-only", archive]).splitlines():
        parts = line.split()
        if len(parts) == 3:
            names.add(parts[2])
    return names


def symbol_owners(prefix):
    """Symbol name -> group, from the prefix's archives and the toolchain's libraries."""
    owners = {}
    for lib in LINK_ORDER:
        path = os.path.join(prefix, "lib", f"lib{lib}.a")
        if os.path.exists(path):
            group = "ExecuTorch runtime" if lib in RUNTIME else "kernels"
            for name in defined_symbols(path):
                owners.setdefault(name, group)
    for lib in TOOLCHAIN_LIBS:
        path = run([tool("gcc"), *CPU_FLAGS, f"-print-file-name={lib}"]).strip()
        if os.path.isabs(path):
            for name in defined_symbols(path):
                owners.setdefault(name, "C/C++ libraries")
    return owners


def sections(elf):
    """name -> (address, size) of the allocated sections."""
    out = {}
    for line in run([tool("objdump"), "-h", elf]).splitlines():
        parts = line.split()
        if len(parts) >= 7 and parts[0].isdigit():
            out[parts[1]] = (int(parts[3], 16), int(parts[2], 16))
    return out


def breakdown(elf, owners):
    secs = sections(elf)
    ranges = {name: secs[name] for name in FLASH_SECTIONS + (".data", ".bss") if name in secs}
    flash = {g: 0 for g in GROUPS}
    ram = {g: 0 for g in GROUPS}
    seen = set()
    text_symbols = []
    demangled = run([tool("nm"), "-p", "-S", "--defined-only", "-C", elf]).splitlines()
    raw = run([tool("nm"), "-p", "-S", "--defined-only", elf]).splitlines()
    for line, pretty in zip(raw, demangled):
        parts = line.split()
        if len(parts) != 4:
            continue
        addr, size, name = int(parts[0], 16), int(parts[1], 16), parts[3]
        if size == 0 or addr in seen:
            continue
        seen.add(addr)
        section = next((s for s, (start, length) in ranges.items() if start <= addr < start + length), None)
        if section is None:
            continue
        group = owners.get(name, "firmware main (ours)")
        if section == ".text":
            text_symbols.append((addr & ~1, size))
        if section == ".bss" and any(a in pretty for a in ARENAS):
            group = "arenas"
        (ram if section in (".data", ".bss") else flash)[group] += size
    code = sum(ranges[s][1] for s in FLASH_SECTIONS if s in ranges)
    data = ranges.get(".data", (0, 0))[1]
    bss = ranges.get(".bss", (0, 0))[1]
    flash["unattributed"] = code - sum(flash.values())
    ram["unattributed"] = data + bss - sum(ram.values())
    model = secs.get(".executorch_model", (0, 0))[1]
    return dict(code=code, data=data, bss=bss, model=model, flash=code + model + data, ram=data + bss,
                flash_groups=flash, ram_groups=ram, text_between_symbols=text_gaps(elf, ranges[".text"], text_symbols))


def text_gaps(elf, text, symbols):
    """Bytes of .text no symbol covers, and how many of them are printable text or NUL (string
    literals, which have no symbols, are most of them)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "text.bin")
        run([tool("objcopy"), "-O", "binary", "--only-section=.text", elf, raw])
        with open(raw, "rb") as f:
            data = f.read()
    start, covered_to, gaps, printable = text[0], 0, 0, 0
    for addr, size in sorted(symbols) + [(start + len(data), 0)]:
        offset = addr - start
        if offset > covered_to:
            gap = data[covered_to:offset]
            gaps += len(gap)
            printable += sum(1 for b in gap if 32 <= b < 127 or b in (0, 9, 10))
        covered_to = max(covered_to, offset + size)
    return gaps, printable


def symbol_address(elf, name):
    for line in run([tool("nm"), "--defined-only", elf]).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return parts[0]
    return None


def instructions(elf, plugin):
    """(instructions per inference, inferences, total instructions) or a reason string."""
    begin = symbol_address(elf, "executorch_firmware_inference_begin")
    end = symbol_address(elf, "executorch_firmware_inference_end")
    if begin is None or end is None:
        return "the firmware has no inference markers"
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "counts")
        proc = subprocess.run(QEMU + ["-plugin", f"{plugin},begin=0x{begin},end=0x{end},out={out}", "-kernel", elf],
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not os.path.exists(out):
            return f"qemu exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-200:]}"
        counts = dict(line.split() for line in open(out, encoding="utf-8"))
    return int(counts["inference"]), int(counts["inferences"]), int(counts["total"])


def kib(n):
    return f"{n / 1024:.1f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", action="append", default=[], help="name=elf,program stem (<stem>.pte, <stem>.json), given by the BUILD file")
    p.add_argument("--plugin", help="the instruction-counting QEMU plugin")
    p.add_argument("--prefix", help="the ExecuTorch install the firmware links (given by the BUILD file)")
    p.add_argument("--runtime_problem", help="why Bazel has no Cortex-M55 runtime (given by the BUILD file)")
    args = p.parse_args()
    if args.runtime_problem or not args.model or not args.prefix:
        # the runtime repository's sentence: which variable (EXECUTORCH_CORTEX_M_PREFIX) to set, or what is wrong
        sys.exit(f"firmware_size: {args.runtime_problem or 'no firmware was built; set ' + ENV}")
    prefix = args.prefix

    owners = symbol_owners(prefix)
    rows = []
    for spec in args.model:
        name, files = spec.split("=", 1)
        elf, stem = files.split(",")
        pte = stem + ".pte"
        with open(stem + ".json", encoding="utf-8") as f:
            method = json.load(f)["methods"]["forward"]
        rows.append((name, breakdown(elf, owners), os.path.getsize(pte), method["planned_memory_bytes"],
                     instructions(elf, args.plugin)))

    print(f"Cortex-M55 firmware (mps3_an547, QEMU), ExecuTorch from {prefix}; sizes in KiB")
    print(f"{'model':<8}{'flash':>9}{'RAM':>8}{'.pte':>8}{'planned':>9}{'instr/inference':>17}{'inferences':>12}")
    for name, b, pte, planned, counts in rows:
        instr = f"{counts[0]:,}" if isinstance(counts, tuple) else "n/a"
        runs = f"{counts[1]}" if isinstance(counts, tuple) else ""
        print(f"{name:<8}{kib(b['flash']):>9}{kib(b['ram']):>8}{kib(pte):>8}{kib(planned):>9}{instr:>17}{runs:>12}")
        if not isinstance(counts, tuple):
            print(f"  instruction count unavailable: {counts}")
    print("\nflash: code + read-only data by origin, then the model and .data's initial values; RAM: .data + .bss"
          " (stack of 32 KiB not included)")
    for name, b, *_ in rows:
        print(f"{name}:")
        for group in GROUPS:
            if b["flash_groups"][group] or b["ram_groups"][group]:
                print(f"  {group:<24}flash {kib(b['flash_groups'][group]):>8}   RAM {kib(b['ram_groups'][group]):>8}")
        gaps, printable = b["text_between_symbols"]
        if gaps:
            print(f"    (of the unattributed flash, {printable / gaps:.0%} is printable text: string literals, e.g. log "
                  f"and check messages)")
        print(f"  {'model (.pte)':<24}flash {kib(b['model']):>8}")
        print(f"  {'.data initial values':<24}flash {kib(b['data']):>8}")
        runtime = b["flash_groups"]["ExecuTorch runtime"]
        without = b["flash"] - b["model"] - b["flash_groups"]["kernels"]
        print(f"  ExecuTorch runtime {runtime / 1000:.1f} KB = {runtime / CORE_REFERENCE:.2f}x ExecuTorch's published "
              f"core footprint (< 50 KB)")
        print(f"  firmware without kernels and model {without / 1000:.1f} KB = {without / SIZE_TEST_LIMIT:.2f}x "
              f"the limit of ExecuTorch's Cortex-M size test (118 KB)")


if __name__ == "__main__":
    main()
