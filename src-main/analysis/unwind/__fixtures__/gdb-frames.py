# gdb judge for the unwinder's tests: for every thread of the core, one line "T <lwp>" then one "F <pc> <kind>"
# per physical frame (inlined frames, which share their caller's pc, and the tail-call frames gdb synthesizes
# from DWARF call-site data, which no stack word records, are left out). pc is gdb's frame pc: the
# current pc for frame 0 and signal-interrupted frames, the return address for the others. Run with
# gdb -batch -nx -x gdb-frames.py EXE CORE.
import gdb

# Past main and the entry point too, so the main thread ends at _start as it does for an unwinder without names.
gdb.execute("set backtrace past-main on")
gdb.execute("set backtrace past-entry on")

for inferior in gdb.inferiors():
    for thread in sorted(inferior.threads(), key=lambda t: t.ptid[1]):
        thread.switch()
        print("T %d" % thread.ptid[1])
        frame = gdb.newest_frame()
        n = 0
        while frame is not None and n < 1024:
            if frame.type() not in (gdb.INLINE_FRAME, gdb.TAILCALL_FRAME):
                kind = "sigtramp" if frame.type() == gdb.SIGTRAMP_FRAME else "normal"
                print("F 0x%x %s %s" % (frame.pc(), kind, frame.name() or "??"))
            else:
                print("S 0x%x %d %s" % (frame.pc(), frame.type(), frame.name() or "??"))
            try:
                frame = frame.older()
            except gdb.error:
                break
            n += 1
