// A plain hand-written C++ loop of the Diehl & Cook (2015) training network: the reference for what a
// single-threaded program of this network costs on the machine at hand, timed by bench_diehl_cook.py in the
// same run as the compiled Brian2 model (benchmarks/README or results/diehl_cook/benchmark.md).
//
// Same network and arithmetic work per step as bioneuro's compiled model (released parameters, float64):
// 784 Poisson inputs (pixel/8 * intensity Hz, one Bernoulli trial per 0.5 ms step, drawn as geometric gaps),
// conductance LIF excitatory neurons with adaptive threshold and 5 ms refractoriness (v held, or with --no-hold
// integrated on while refractory as Brian 1 ran the released code), exponential
// Euler for v (or forward Euler with --euler), inhibitory neurons with forward Euler, input delays of 0-20
// steps, nearest-spike triplet STDP (depression at arrivals, potentiation at excitatory spikes from the
// arrival step of each synapse), normalisation of each neuron's input weights to 78 before each presentation,
// 350 ms presentation + 150 ms rest, the retry rule. It is written for speed, not generality: weights stored
// by (input, delay) group so that an arriving spike walks consecutive memory, a ring of emitted inputs per
// step, input spikes filed in a calendar of the presentation's steps, fused per-neuron loops.
//
// With --rest-fast-forward it skips the quiet end of each rest as the model does (its docstring, deviation 9):
// once every delayed input spike has arrived, every conductance is <= 1e-9 and no neuron is refractory, the
// remaining rest steps are applied at once (each variable's per-step factor raised to their number).
//
// Usage: handwritten_dc IMAGES.u8 N_IMAGES N_NEURONS SEED [--euler] [--rest-fast-forward] [--no-hold]
//                       [--theta-plus VOLTS]   (default 5e-5, the released 0.05 mV)
// IMAGES.u8 holds N_IMAGES x 784 pixel bytes. Prints one JSON line: presentations, images, seconds (CPU),
// excitatory spikes per image, rest steps skipped.
#include <cmath>
#include <math.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

namespace {

constexpr int kInputs = 784;
constexpr double kDt = 0.5e-3;
constexpr int kPresSteps = 700, kRestSteps = 300, kMaxDelay = 20, kRing = kMaxDelay + 1;

// released parameters (REFERENCES.md)
constexpr double vRestE = -65e-3, vResetE = -65e-3, vThreshE = -52e-3, thetaOffset = 20e-3, tauE = 100e-3;
constexpr double tauTheta = 1e4;
constexpr double vRestI = -60e-3, vResetI = -45e-3, vThreshI = -40e-3, tauI = 10e-3;
constexpr double Eexc = 0.0, EinhE = -100e-3, EinhI = -85e-3, tauGe = 1e-3, tauGi = 2e-3;
constexpr double wEI = 10.4, wIE = 17.0, tauPre = 20e-3, tauPost1 = 20e-3, tauPost2 = 40e-3;
constexpr double nuPre = 1e-4, nuPost = 1e-2, wMax = 1.0, wTotal = 78.0;
constexpr int refE = 10, refI = 4;  // steps

double cpu_seconds() { return (double)std::clock() / CLOCKS_PER_SEC; }

}  // namespace

int main(int argc, char **argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: %s IMAGES.u8 N_IMAGES N_NEURONS SEED [--euler] [--rest-fast-forward] [--no-hold] "
                             "[--theta-plus VOLTS]\n", argv[0]);
        return 2;
    }
    const int nImages = std::atoi(argv[2]), n = std::atoi(argv[3]);
    const unsigned seed = (unsigned)std::atoi(argv[4]);
    bool euler = false, restFastForward = false, hold = true;
    double thetaPlus = 0.05e-3;
    for (int a = 5; a < argc; a++) {
        if (std::strcmp(argv[a], "--euler") == 0) {
            euler = true;
        } else if (std::strcmp(argv[a], "--rest-fast-forward") == 0) {
            restFastForward = true;
        } else if (std::strcmp(argv[a], "--no-hold") == 0) {
            hold = false;
        } else if (std::strcmp(argv[a], "--theta-plus") == 0 && a + 1 < argc) {
            thetaPlus = std::atof(argv[++a]);
        } else {
            std::fprintf(stderr, "unknown option %s\n", argv[a]);
            return 2;
        }
    }
    std::vector<uint8_t> pixels((size_t)nImages * kInputs);
    FILE *f = std::fopen(argv[1], "rb");
    if (!f || std::fread(pixels.data(), 1, pixels.size(), f) != pixels.size()) {
        std::fprintf(stderr, "cannot read %d images from %s\n", nImages, argv[1]);
        return 2;
    }
    std::fclose(f);

    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    // weights (input-major, dense), arrival steps, delays; per (input, delay) the list of targets
    std::vector<double> w((size_t)kInputs * n);
    std::vector<int32_t> tarr((size_t)kInputs * n, -20000000);
    std::vector<uint8_t> delay((size_t)kInputs * n);
    for (auto &x : w) x = 0.3 * (uniform(rng) + 0.01);
    for (auto &d : delay) d = (uint8_t)std::floor(uniform(rng) * 10e-3 / kDt + 0.5);
    std::vector<int32_t> groupStart((size_t)kInputs * kRing + 1, 0);
    std::vector<uint16_t> groupTarget((size_t)kInputs * n);
    {
        std::vector<int32_t> count((size_t)kInputs * kRing, 0);
        for (int s = 0; s < kInputs; s++)
            for (int j = 0; j < n; j++) count[(size_t)s * kRing + delay[(size_t)s * n + j]]++;
        for (size_t g = 0; g < count.size(); g++) groupStart[g + 1] = groupStart[g] + count[g];
        std::vector<int32_t> fill(groupStart.begin(), groupStart.end() - 1);
        for (int s = 0; s < kInputs; s++)
            for (int j = 0; j < n; j++) groupTarget[fill[(size_t)s * kRing + delay[(size_t)s * n + j]]++] = (uint16_t)j;
    }
    // weights and arrival steps in group order (each (input, delay) group contiguous, as bioneuro's layout);
    // position of synapse (s, j) for the potentiation of neuron j
    std::vector<int32_t> position((size_t)n * kInputs);
    {
        std::vector<double> sorted(w.size());
        for (int s = 0; s < kInputs; s++)
            for (size_t q = groupStart[(size_t)s * kRing]; q < (size_t)groupStart[(size_t)(s + 1) * kRing]; q++) {
                const int j = groupTarget[q];
                sorted[q] = w[(size_t)s * n + j];
                position[(size_t)j * kInputs + s] = (int32_t)q;
            }
        w.swap(sorted);
    }
    std::vector<double> v(n, vRestE - 40e-3), ge(n, 0), gi(n, 0), theta(n, 20e-3), post1(n, 0), post2(n, 0);
    std::vector<int32_t> lastE(n, -1000000), lastI(n, -1000000);
    std::vector<double> vi(n, vRestI - 40e-3), gei(n, 0), wsum(n);
    std::vector<std::vector<int32_t>> calendar(kPresSteps);
    std::vector<double> p(kInputs);
    std::vector<std::vector<int32_t>> emitted(kRing);  // inputs that spiked at step t, kept kRing steps
    std::vector<int> excSpikes, inhSpikes;
    std::vector<uint8_t> condE(n + 8, 0), condI(n + 8, 0);
    auto scan = [n](const std::vector<uint8_t> &cond, std::vector<int> &out) {
        for (int w8 = 0; w8 < n; w8 += 8) {
            uint64_t word;
            std::memcpy(&word, &cond[w8], 8);
            while (word) {
                const int b = __builtin_ctzll(word) >> 3;
                word &= ~((uint64_t)0xFF << (8 * b));
                if (w8 + b < n) out.push_back(w8 + b);
            }
        }
    };
    const double fGe = 1 - kDt / tauGe;  // Euler's factors under both integrations (as the model)
    const double fGi = 1 - kDt / tauGi;
    const double fP1 = std::exp(-kDt / tauPost1), fP2 = std::exp(-kDt / tauPost2);
    const double fTheta = euler ? 1 - kDt / tauTheta : std::exp(-kDt / tauTheta);
    auto gap = [&](double prob) -> int32_t {
        if (!(prob > 0)) return 1 << 30;
        if (prob >= 1) return 0;
        const double g = std::floor(std::log(1.0 - uniform(rng)) / std::log1p(-prob));
        return g < (double)(1 << 30) ? (int32_t)g : (1 << 30);
    };

    // closed forms of the quiet rest: per-step factors of v's relaxation without conductances
    const double fVE = euler ? 1 - kDt / tauE : std::exp(-kDt / tauE), fVI = 1 - kDt / tauI;
    constexpr double kQuiet = 1e-9;  // conductance bound (units of the leak conductance), as the model's
    long skipped = 0;
    long step = 0, presentations = 0, totalSpikes = 0;
    int image = 0;
    double intensity = 2.0;
    const double t0 = cpu_seconds();
    while (image < nImages) {
        // normalisation before each presentation
        std::fill(wsum.begin(), wsum.end(), 0.0);
        for (size_t q = 0; q < w.size(); q++) wsum[groupTarget[q]] += w[q];
        for (int j = 0; j < n; j++) wsum[j] = wsum[j] > 0 ? wTotal / wsum[j] : 1.0;
        for (size_t q = 0; q < w.size(); q++) w[q] *= wsum[groupTarget[q]];
        // input spikes: a calendar of the presentation's steps (each input is filed at its next spike step)
        for (auto &slot : calendar) slot.clear();
        for (int s = 0; s < kInputs; s++) {
            p[s] = pixels[(size_t)image * kInputs + s] / 8.0 * intensity * kDt;
            const int32_t first = gap(p[s]);
            if (first < kPresSteps) calendar[first].push_back(s);
        }
        int count = 0;
        bool accepted = false;
        for (int k = 0; k < kPresSteps + kRestSteps; k++, step++) {
            // excitatory and inhibitory state updates (one loop per integration, so that each vectorises)
            const int32_t now32 = (int32_t)step;
            double *__restrict pv = v.data(), *__restrict pge = ge.data(), *__restrict pgi = gi.data();
            const int32_t *__restrict plast = lastE.data();
            const int32_t holdSteps = hold ? refE : 0;  // 0: v integrated while refractory (always reached)
            if (euler) {
                for (int j = 0; j < n; j++) {
                    const double vn = pv[j] + kDt / tauE * ((vRestE - pv[j]) + pge[j] * (Eexc - pv[j]) + pgi[j] * (EinhE - pv[j]));
                    pv[j] = now32 - plast[j] >= holdSteps ? vn : pv[j];
                }
            } else {
                for (int j = 0; j < n; j++) {
                    const double a = -(1 + pge[j] + pgi[j]) / tauE;
                    const double vinf = (vRestE + pge[j] * Eexc + pgi[j] * EinhE) / (1 + pge[j] + pgi[j]);
                    const double vn = vinf + (pv[j] - vinf) * ::exp(a * kDt);  // glibc's vector exp
                    pv[j] = now32 - plast[j] >= holdSteps ? vn : pv[j];
                }
            }
            for (int j = 0; j < n; j++) {
                pge[j] *= fGe;
                pgi[j] *= fGi;
                post1[j] *= fP1;
                post2[j] *= fP2;
                theta[j] *= fTheta;
            }
            for (int j = 0; j < n; j++) {
                const bool free = step - lastI[j] >= refI;
                const double vn = vi[j] + kDt / tauI * ((vRestI - vi[j]) + gei[j] * (Eexc - vi[j]));
                vi[j] = free ? vn : vi[j];
                gei[j] *= fGe;
            }
            // thresholds
            // thresholds: conditions in one vectorised pass, then a scan eight bytes at a time
            excSpikes.clear();
            inhSpikes.clear();
            for (int j = 0; j < n; j++)
                condE[j] = (now32 - lastE[j] >= refE) & (v[j] > theta[j] - thetaOffset + vThreshE);
            for (int j = 0; j < n; j++)
                condI[j] = (now32 - lastI[j] >= refI) & (vi[j] > vThreshI);
            scan(condE, excSpikes);
            scan(condI, inhSpikes);
            std::vector<int32_t> &now = emitted[step % kRing];
            now.clear();
            if (k < kPresSteps)
                for (int s : calendar[k]) {
                    now.push_back(s);
                    const int32_t next = k + 1 + gap(p[s]);
                    if (next < kPresSteps) calendar[next].push_back(s);
                }
            // synapses: delayed input arrivals (conductance, arrival step, depression)
            for (int d = 0; d <= kMaxDelay; d++) {
                const std::vector<int32_t> &src = emitted[(step - d + kRing) % kRing];
                if (step - d < 0) continue;
                for (int s : src) {
                    const size_t g = (size_t)s * kRing + d;
                    for (int q = groupStart[g]; q < groupStart[g + 1]; q++) {
                        const int j = groupTarget[q];
                        ge[j] += w[q];
                        tarr[q] = (int32_t)step;
                        const double x = w[q] - nuPre * post1[j];
                        w[q] = x < 0 ? 0 : (x > wMax ? wMax : x);
                    }
                }
            }
            // potentiation at excitatory spikes, exc -> inh, inh -> exc
            for (int j : excSpikes) {
                for (int s = 0; s < kInputs; s++) {
                    const size_t idx = (size_t)position[(size_t)j * kInputs + s];
                    const double x = w[idx] + nuPost * std::exp((tarr[idx] - step) * kDt / tauPre) * post2[j];
                    w[idx] = x < 0 ? 0 : (x > wMax ? wMax : x);
                }
                gei[j] += wEI;
            }
            for (int i : inhSpikes)
                for (int j = 0; j < n; j++)
                    if (j != i) gi[j] += wIE;
            // resets
            for (int j : excSpikes) {
                v[j] = vResetE;
                theta[j] += thetaPlus;
                post1[j] = 1;
                post2[j] = 1;
                lastE[j] = (int)step;
            }
            for (int i : inhSpikes) {
                vi[i] = vResetI;
                lastI[i] = (int)step;
            }
            if (k < kPresSteps) count += (int)excSpikes.size();
            if (k == kPresSteps - 1) {
                presentations++;
                totalSpikes += count;
                accepted = count >= 5 || intensity >= 32;
            }
            const int left = kPresSteps + kRestSteps - 1 - k;  // steps after this one
            if (restFastForward && k >= kPresSteps + kMaxDelay && left > 0) {
                bool quiet = true;
                for (int j = 0; j < n && quiet; j++)
                    quiet = std::fabs(ge[j]) <= kQuiet && std::fabs(gi[j]) <= kQuiet && std::fabs(gei[j]) <= kQuiet &&
                            step - lastE[j] >= refE && step - lastI[j] >= refI;
                if (quiet) {
                    const double cVE = std::pow(fVE, left), cVI = std::pow(fVI, left), cGe = std::pow(fGe, left),
                                 cGi = std::pow(fGi, left), cP1 = std::pow(fP1, left), cP2 = std::pow(fP2, left),
                                 cTheta = std::pow(fTheta, left);
                    for (int j = 0; j < n; j++) {
                        v[j] = vRestE + (v[j] - vRestE) * cVE;
                        ge[j] *= cGe;
                        gi[j] *= cGi;
                        post1[j] *= cP1;
                        post2[j] *= cP2;
                        theta[j] *= cTheta;
                        vi[j] = vRestI + (vi[j] - vRestI) * cVI;
                        gei[j] *= cGe;
                    }
                    for (auto &slot : emitted) slot.clear();  // no input spike in the skipped steps
                    skipped += left;
                    step += left;
                    k += left;
                }
            }
        }
        if (accepted) {
            image++;
            intensity = 2.0;
        } else {
            intensity += 1.0;
        }
    }
    const double seconds = cpu_seconds() - t0;
    std::printf("{\"presentations\": %ld, \"images\": %d, \"cpu_seconds\": %.6f, \"exc_spikes_per_presentation\": %.3f, "
                "\"skipped_steps_per_presentation\": %.3f}\n",
                presentations, nImages, seconds, (double)totalSpikes / presentations, (double)skipped / presentations);
    return 0;
}
