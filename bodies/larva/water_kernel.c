/* The larva's physics steps in C: mj_step1 -> water forces -> mj_step2, n times.
 *
 * The water forces are those of LarvaBody._apply_water (bodies/larva/body.py), term by term and
 * in the same operation order (complex products written out as numpy computes them), so the
 * trajectories agree with the numpy path to the last few ulp (tests/bodies/test_larva_water_fast.py).
 * Built on first use into the project's cache with the system C compiler (bodies/larva/kernel.py);
 * without a compiler the numpy path runs instead. mj_step1 / mj_step2 are passed in as function
 * pointers of the libmujoco that the mujoco Python package has already loaded, and every array
 * pointer is a view into that MjData (its buffers never move), so nothing here needs MuJoCo's
 * headers.
 *
 * Layout (MuJoCo): cvel (nbody, 6) = [angular xyz, linear xyz] at the subtree CoM frame,
 * xipos (nbody, 3), subtree_com (nbody, 3), xmat (nbody, 9), xfrc_applied (nbody, 6).
 */
#include <math.h>

typedef void (*mj_step_fn)(const void *m, void *d);

static void water(int nb, int root, const double *cvel, const double *xipos, const double *com,
                  const double *xmat, double *xfrc, double *vprev, const double *c3,
                  const double *q3, const double *ma_over_dt, double m_tip, double half,
                  int reactive)
{
    const double comx = com[3 * root], comy = com[3 * root + 1];
    for (int i = 0; i < nb; i++) {
        const int b = root + i;
        const double R00 = xmat[9 * b], R01 = xmat[9 * b + 1];   /* ct = conj(t) = R00 + i R01 */
        const double tr = R00, ti = -R01;                        /* t = R00 - i R01 */
        const double wz = cvel[6 * b + 2];
        const double rr = xipos[3 * b] - comx, ri = xipos[3 * b + 1] - comy;
        /* v = v_cvel + (i wz) r */
        const double vx = cvel[6 * b + 3] + (0.0 * rr - wz * ri);
        const double vy = cvel[6 * b + 4] + (0.0 * ri + wz * rr);
        /* lagged tangential added mass: Re((v - v_prev) ct) m_a / dt */
        const double dx = vx - vprev[2 * i], dy = vy - vprev[2 * i + 1];
        const double acc_t = (dx * R00 - dy * R01) * ma_over_dt[i];
        vprev[2 * i] = vx;
        vprev[2 * i + 1] = vy;
        /* body frame: u = v ct = v_t + i w; g = (c + q|b|) b for b = [v_t, w, wz] */
        const double ut = vx * R00 - vy * R01, un = vx * R01 + vy * R00;
        const double g0 = (fabs(ut) * q3[3 * i] + c3[3 * i]) * ut;
        const double g1 = (fabs(un) * q3[3 * i + 1] + c3[3 * i + 1]) * un;
        const double g2 = (fabs(wz) * q3[3 * i + 2] + c3[3 * i + 2]) * wz;
        double fr = -g0 + acc_t, fi = -g1, tz = -g2;
        if (reactive && i == nb - 1) {   /* Lighthill's trailing-edge term at the tail tip */
            const double txe = tr, tye = ti, we = wz;
            const double vxe = vx + we * half * tye;
            const double vye = vy - we * half * txe;
            const double ut2 = vxe * txe + vye * tye;
            const double w_tip = vye * txe - vxe * tye;
            const double fn_tip = -ut2 * m_tip * w_tip;
            fr += 0.5 * m_tip * w_tip * w_tip;
            fi += fn_tip;
            tz += half * fn_tip;
        }
        xfrc[6 * b] = fr * tr - fi * ti;   /* world force f t, f = f_t + i f_n */
        xfrc[6 * b + 1] = fr * ti + fi * tr;
        xfrc[6 * b + 5] = tz;
    }
}

void larva_steps(const void *m, void *d, mj_step_fn step1, mj_step_fn step2, int nsteps, int nb,
                 int root, const double *cvel, const double *xipos, const double *com,
                 const double *xmat, double *xfrc, double *vprev, const double *c3,
                 const double *q3, const double *ma_over_dt, double m_tip, double half,
                 int reactive)
{
    for (int k = 0; k < nsteps; k++) {
        step1(m, d);
        water(nb, root, cvel, xipos, com, xmat, xfrc, vprev, c3, q3, ma_over_dt, m_tip, half,
              reactive);
        step2(m, d);
    }
}
