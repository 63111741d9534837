# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled inner loop of ``nervous_systems.event_lif.EventLIFNetwork`` (built on first use by
``event_lif.load_kernel`` into the project's cache; no build step at install time).

The Shiu 2024 LIF neuron between two input events is linear, and Brian2's ``linear`` state update
is its exact solution over one step dt. Over n steps without input, from (v, g):

    g_n = g a_s^n,   v_n = v_0 + (v - v_0 - K g) a_m^n + K g a_s^n,
    a_m = exp(-dt/t_mbr), a_s = exp(-dt/tau), K = tau / (tau - t_mbr)

(the n-fold product of the one-step update, in closed form). So a neuron is only touched when an
input event reaches it; at that moment it is brought to the current step, the input is added, and
the first grid step at which its input-free trajectory v_n exceeds v_th is computed (v_n - v_0 is
a sum of two exponentials: at most one extremum, so the steps above threshold form one interval
that a bounded search finds). That step goes into a heap; a later input re-plans it (the stale heap
entry is ignored). Spikes, refractoriness, delays and input semantics follow the clock-driven
schedule of Brian2 step by step (see event_lif.py).
"""

from libc.math cimport exp, log, floor
from libc.stdlib cimport free, malloc, realloc

ctypedef long long i64

cdef i64 NEVER = (<i64>1) << 62


cdef packed struct Neuron:       # the fields every synaptic event reads, in one cache line
    double v                     # mV, after the update of step t_last (and its inputs)
    double g                     # mV
    i64 t_last
    i64 until                    # first step at which it integrates and accepts input again


cdef class Kernel:
    cdef double v0, v_rst, v_th, K, lam_m, lam_s, w_poi, bound_tol
    cdef int n, D, NT
    cdef public i64 k
    cdef Neuron[::1] s
    cdef double[::1] Am, As
    cdef i64[::1] sched, counts, rfc, indptr
    cdef int[::1] post
    cdef double[::1] w
    cdef int[:, ::1] ring
    cdef i64[::1] ring_len
    cdef int[::1] touched
    cdef i64* heap_t
    cdef int* heap_i
    cdef i64 heap_n, heap_cap
    cdef public i64 n_events, n_plans

    def __cinit__(self):
        self.heap_t = NULL
        self.heap_i = NULL

    def __init__(self, dict c, dict arrays):
        self.n = c["n"]
        self.v0, self.v_rst, self.v_th = c["v0"], c["v_rst"], c["v_th"]
        self.K, self.lam_m, self.lam_s = c["K"], c["lam_m"], c["lam_s"]
        self.w_poi, self.D = c["w_poi"], c["D"]
        self.bound_tol = 1e-9
        self.s = arrays["state"]
        self.Am, self.As = arrays["Am"], arrays["As"]
        self.NT = len(self.Am)
        self.sched, self.counts, self.rfc = arrays["sched"], arrays["counts"], arrays["rfc"]
        self.indptr, self.post, self.w = arrays["indptr"], arrays["post"], arrays["w"]
        self.ring, self.ring_len = arrays["ring"], arrays["ring_len"]
        self.touched = arrays["touched"]
        self.heap_cap = 1024
        self.heap_t = <i64*> malloc(self.heap_cap * sizeof(i64))
        self.heap_i = <int*> malloc(self.heap_cap * sizeof(int))
        if self.heap_t == NULL or self.heap_i == NULL:
            raise MemoryError()
        self.heap_n = 0
        self.k = 0
        self.n_events = 0
        self.n_plans = 0

    def __dealloc__(self):
        free(self.heap_t)
        free(self.heap_i)

    def clear(self):
        """Empty the heap and the delay ring; step counter to 0 (the arrays are reset by Python)."""
        self.heap_n = 0
        self.k = 0
        self.n_events = 0
        self.n_plans = 0
        cdef int r
        for r in range(self.D + 1):
            self.ring_len[r] = 0

    def heap_size(self):
        return self.heap_n

    # ------------------------------------------------------------------ heap of (step, neuron)
    cdef int heap_push(self, i64 t, int i) except -1 nogil:
        cdef i64 j, p
        cdef i64* nt
        cdef int* ni
        if self.heap_n == self.heap_cap:
            nt = <i64*> realloc(self.heap_t, 2 * self.heap_cap * sizeof(i64))
            if nt == NULL:
                with gil:
                    raise MemoryError()
            self.heap_t = nt
            ni = <int*> realloc(self.heap_i, 2 * self.heap_cap * sizeof(int))
            if ni == NULL:
                with gil:
                    raise MemoryError()
            self.heap_i = ni
            self.heap_cap *= 2
        j = self.heap_n
        self.heap_n += 1
        while j > 0:
            p = (j - 1) >> 1
            if self.heap_t[p] <= t:
                break
            self.heap_t[j] = self.heap_t[p]
            self.heap_i[j] = self.heap_i[p]
            j = p
        self.heap_t[j] = t
        self.heap_i[j] = i
        return 0

    cdef void heap_pop(self) noexcept nogil:
        cdef i64 j = 0, c, m = self.heap_n - 1
        cdef i64 t = self.heap_t[m]
        cdef int i = self.heap_i[m]
        self.heap_n = m
        while True:
            c = 2 * j + 1
            if c >= m:
                break
            if c + 1 < m and self.heap_t[c + 1] < self.heap_t[c]:
                c += 1
            if self.heap_t[c] >= t:
                break
            self.heap_t[j] = self.heap_t[c]
            self.heap_i[j] = self.heap_i[c]
            j = c
        if m > 0:
            self.heap_t[j] = t
            self.heap_i[j] = i

    # ------------------------------------------------------------------ closed form
    cdef inline double am(self, i64 n) noexcept nogil:
        if n < self.NT:
            return self.Am[n]
        return exp(-n * self.lam_m)

    cdef inline double as_(self, i64 n) noexcept nogil:
        if n < self.NT:
            return self.As[n]
        return exp(-n * self.lam_s)

    cdef inline void advance(self, int i, i64 k) noexcept nogil:
        """State of neuron i (last set at step t_last, free since) after the update of step k."""
        cdef Neuron* x = &self.s[i]
        cdef i64 n = k - x.t_last
        cdef double g, P
        if n <= 0:
            return
        g = x.g
        if g == 0.0:
            if x.v != self.v0:
                x.v = self.v0 + (x.v - self.v0) * self.am(n)
        else:
            P = (x.v - self.v0) - self.K * g
            x.v = self.v0 + P * self.am(n) + self.K * g * self.as_(n)
            x.g = g * self.as_(n)
        x.t_last = k

    cdef inline bint above(self, double P, double Q, i64 n) noexcept nogil:
        return self.v0 + P * self.am(n) + Q * self.as_(n) > self.v_th

    cdef int plan(self, int i, i64 k) except -1 nogil:
        """First step s > k at which neuron i, free from step k on, is above threshold (or none)."""
        cdef double g = self.s[i].g
        cdef double Q = self.K * g
        cdef double P = (self.s[i].v - self.v0) - Q
        cdef double Pp = P if P > 0 else 0.0
        cdef double Qp = Q if Q > 0 else 0.0
        cdef double ts
        cdef i64 n, lo, hi, mid, c
        self.sched[i] = -1
        # v_n - v_0 <= P+ a_m^n + Q+ a_s^n <= P+ + Q+: nothing to plan below threshold (with a margin
        # far above rounding, so that the exact test below decides every close case)
        if self.v0 + (Pp + Qp) < self.v_th - self.bound_tol:
            return 0
        self.n_plans += 1
        if self.above(P, Q, 1):
            n = 1
        else:
            # f(t) = P a_m^t + Q a_s^t has one critical point iff P, Q have opposite signs; with
            # f(1) <= theta and f -> 0 < theta, the only way up is a maximum at t* > 1, and f rises
            # on [1, t*]: the first step above threshold is found by bisection on [1, argmax]
            if P * Q >= 0:
                return 0
            ts = log(-Q * self.lam_s / (P * self.lam_m)) / (self.lam_s - self.lam_m)
            if not (ts > 1.0) or ts > 1e9:
                return 0
            c = <i64> floor(ts)
            hi = c if (P * self.am(c) + Q * self.as_(c)) >= (P * self.am(c + 1) + Q * self.as_(c + 1)) else c + 1
            if not self.above(P, Q, hi):
                return 0
            lo = 1
            while hi - lo > 1:
                mid = (lo + hi) >> 1
                if self.above(P, Q, mid):
                    hi = mid
                else:
                    lo = mid
            n = hi
        self.sched[i] = k + n
        self.heap_push(k + n, i)
        return 0

    # ------------------------------------------------------------------ the step loop
    def run(self, i64 n_steps, double[:, ::1] u, double[::1] p_in, int[::1] idx_in, int[::1] rec_i,
            i64[::1] rec_k, i64 rec_n, bint record):
        """Advance up to n_steps steps. Poisson input: neuron idx_in[q] gets an input spike at
        step j (relative) when u[j, q] < p_in[q] (uniform draws; p = rate dt, as Brian2's
        PoissonGroup). Spikes are appended to rec_i/rec_k from rec_n on; stops early when fewer
        than n slots are left. Returns (steps done, rec_n)."""
        cdef i64 j, k, e, e1, t, s
        cdef int i, r, slot, m, nt, q
        cdef int cap = rec_i.shape[0]
        cdef int n_in = idx_in.shape[0]
        cdef int D1 = self.D + 1
        cdef i64 done = n_steps
        cdef Neuron* x
        with nogil:
            for j in range(n_steps):
                if record and cap - rec_n < self.n:
                    done = j
                    break
                k = self.k
                # 1-2. threshold: neurons planned to cross at this step spike
                slot = <int> (k % D1)
                self.ring_len[slot] = 0
                while self.heap_n > 0 and self.heap_t[0] <= k:
                    t = self.heap_t[0]
                    i = self.heap_i[0]
                    self.heap_pop()
                    if t != k or self.sched[i] != k:
                        continue             # stale plan (re-planned after a later input)
                    self.sched[i] = -1
                    self.counts[i] += 1
                    r = <int> self.rfc[i]
                    x = &self.s[i]
                    # refractory (no integration, input dropped) until k + rfc; input of this very
                    # step is dropped even without refractory period (the reset follows it)
                    x.until = k + (r if r > 0 else 1)
                    x.t_last = k + (r - 1 if r > 0 else 0)   # frozen until integration resumes
                    x.v = self.v_rst
                    x.g = 0.0
                    self.ring[slot, self.ring_len[slot]] = i
                    self.ring_len[slot] += 1
                    if record:
                        rec_i[rec_n] = i
                        rec_k[rec_n] = k
                        rec_n += 1
                # 3. synaptic spikes emitted at step k - D, then Poisson input spikes of step k;
                #    dropped for refractory neurons and for this step's spikers (Brian2 semantics)
                nt = 0
                slot = <int> ((k + 1) % D1)
                for m in range(<int> self.ring_len[slot]):
                    q = self.ring[slot, m]
                    e1 = self.indptr[q + 1]
                    for e in range(self.indptr[q], e1):
                        i = self.post[e]
                        x = &self.s[i]
                        if k < x.until:
                            continue
                        if x.t_last < k:
                            self.advance(i, k)
                            self.touched[nt] = i
                            nt += 1
                        x.g += self.w[e]
                    self.n_events += e1 - self.indptr[q]
                for q in range(n_in):
                    if not (u[j, q] < p_in[q]):
                        continue
                    i = idx_in[q]
                    x = &self.s[i]
                    if k < x.until:
                        continue
                    if x.t_last < k:
                        self.advance(i, k)
                        self.touched[nt] = i
                        nt += 1
                    x.v += self.w_poi
                # plan the next threshold crossing of every neuron that got input
                for m in range(nt):
                    self.plan(self.touched[m], k)
                self.k = k + 1
        return done, rec_n
