# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Inner loop of ``graded_kernel.KernelGradedNetwork``: n time steps of the Kunert 2014 graded
network with Brian2's exponential-Euler scheme and schedule, in one C call.

Per step (all sums from the state at the start of the step, as Brian2's summed variables):

    I_gap_i = sum_k gap_w[k] v[gap_idx[k]]                       (rows gap_ptr[i]:gap_ptr[i+1])
    G_syn_i = sum_k chem_g[k] s[chem_idx[k]],  I_syn_i = sum_k chem_gE[k] s[chem_idx[k]]
    G_tot   = G_leak_i + G_syn_i                                  (G_leak = G_c + G_gap)
    v_inf   = (I_const_i + I_gap_i + I_syn_i) / G_tot              (I_const = G_c E_c + I_ext + I_noise)
    v'      = v_inf + (v - v_inf) exp(-G_tot dt / C)
    r       = a_r / (1 + exp(-beta (v - V_th_i))),  k = r + a_d
    s'      = r/k + (s - r/k) exp(-k dt)                            (v, s: the OLD values)

The sums are one pass over the CSR rows; the per-neuron update is a second pass that the C
compiler vectorises (OpenMP ``simd``, glibc's vector ``exp`` from libmvec: same IEEE double
arithmetic, exp within a few ulp of the scalar one), built for the baseline x86-64 and, where
the CPU has it, AVX2 (``target_clones``: the loader picks the clone at run time, so the cached
binary is portable between x86-64 machines). Other architectures compile the plain loop.
"""

cdef extern from *:
    """
    #include <math.h>
    #if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    #pragma omp declare simd notinbranch
    extern double exp(double);
    #define GK_CLONES __attribute__((target_clones("avx2", "default")))
    #else
    #define GK_CLONES
    #endif

    GK_CLONES
    static void gk_update(int n, const double *restrict v, const double *restrict s,
                          double *restrict vn, double *restrict sn,
                          const double *restrict ig, const double *restrict gs,
                          const double *restrict isyn, const double *restrict G_leak,
                          const double *restrict V_th, const double *restrict I_const,
                          double dt_over_C, double a_r, double a_d, double beta, double dt)
    {
        #pragma omp simd
        for (int i = 0; i < n; i++) {
            double g_tot = G_leak[i] + gs[i];
            double v_inf = (I_const[i] + ig[i] + isyn[i]) / g_tot;
            double vi = v[i];
            vn[i] = v_inf + (vi - v_inf) * exp(-g_tot * dt_over_C);
            double r = a_r / (1.0 + exp(-beta * (vi - V_th[i])));
            double kk = r + a_d;
            double s_inf = r / kk;
            sn[i] = s_inf + (s[i] - s_inf) * exp(-kk * dt);
        }
    }

    static void gk_run(int n, long n_steps, double *v, double *s, double *vt, double *st,
                       double *work, const int *gap_ptr, const int *gap_idx,
                       const double *gap_w, const int *chem_ptr, const int *chem_idx,
                       const double *chem_g, const double *chem_gE, const double *G_leak,
                       const double *V_th, const double *I_const, double dt_over_C,
                       double a_r, double a_d, double beta, double dt)
    {
        double *vc = v, *sc = s, *vn = vt, *sn = st, *tmp;
        double *ig = work, *gs = work + n, *isyn = work + 2 * n;
        for (long step = 0; step < n_steps; step++) {
            for (int i = 0; i < n; i++) {
                double a = 0.0, b = 0.0, c = 0.0;
                for (int k = gap_ptr[i]; k < gap_ptr[i + 1]; k++)
                    a += gap_w[k] * vc[gap_idx[k]];
                for (int k = chem_ptr[i]; k < chem_ptr[i + 1]; k++) {
                    double sj = sc[chem_idx[k]];
                    b += chem_g[k] * sj;
                    c += chem_gE[k] * sj;
                }
                ig[i] = a; gs[i] = b; isyn[i] = c;
            }
            gk_update(n, vc, sc, vn, sn, ig, gs, isyn, G_leak, V_th, I_const,
                      dt_over_C, a_r, a_d, beta, dt);
            tmp = vc; vc = vn; vn = tmp;
            tmp = sc; sc = sn; sn = tmp;
        }
        if (vc != v) {          /* an odd number of steps: the result is in the scratch arrays */
            for (int i = 0; i < n; i++) { v[i] = vc[i]; s[i] = sc[i]; }
        }
    }
    """
    void gk_run(int n, long n_steps, double *v, double *s, double *vt, double *st,
                double *work, const int *gap_ptr, const int *gap_idx,
                const double *gap_w, const int *chem_ptr, const int *chem_idx,
                const double *chem_g, const double *chem_gE, const double *G_leak,
                const double *V_th, const double *I_const, double dt_over_C,
                double a_r, double a_d, double beta, double dt) nogil


def run_steps(double[::1] v, double[::1] s, double[::1] v_tmp, double[::1] s_tmp,
              double[::1] work,
              const int[::1] gap_ptr, const int[::1] gap_idx, const double[::1] gap_w,
              const int[::1] chem_ptr, const int[::1] chem_idx, const double[::1] chem_g,
              const double[::1] chem_gE,
              const double[::1] G_leak, const double[::1] V_th, const double[::1] I_const,
              double dt_over_C, double a_r, double a_d, double beta, double dt, long n_steps):
    """Advance (v, s) in place by ``n_steps`` steps. v_tmp / s_tmp: scratch arrays of the same
    length n; work: scratch of length 3n. Edge arrays may be empty (then a dummy of length 1)."""
    cdef int n = v.shape[0]
    if n == 0 or n_steps <= 0:
        return
    if (s.shape[0] != n or v_tmp.shape[0] != n or s_tmp.shape[0] != n or work.shape[0] < 3 * n
            or gap_ptr.shape[0] != n + 1 or chem_ptr.shape[0] != n + 1 or G_leak.shape[0] != n
            or V_th.shape[0] != n or I_const.shape[0] != n):
        raise ValueError("graded kernel: array sizes do not match the neuron count")
    with nogil:
        gk_run(n, n_steps, &v[0], &s[0], &v_tmp[0], &s_tmp[0], &work[0], &gap_ptr[0],
               &gap_idx[0], &gap_w[0], &chem_ptr[0], &chem_idx[0], &chem_g[0], &chem_gE[0],
               &G_leak[0], &V_th[0], &I_const[0], dt_over_C, a_r, a_d, beta, dt)
