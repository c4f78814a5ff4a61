// bioneuro's replacement for Brian2's CSpikeQueue (brian2/synapses/cspikequeue.cpp), same interface.
//
// Brian2 pushes a spike with heterogeneous delays one synapse at a time: a modulo, a bounds check and a
// push_back into one of the delay buckets per synapse. Here prepare() sorts each source's synapses by
// their delay step once (a stable counting sort, so indices stay ascending inside a group), and push()
// appends each (source, delay) group to its bucket as one contiguous block copy. The buckets receive the
// same synapse indices in the same order as Brian2's queue gives within each source, so the synaptic
// code sees identical events; when synapses of one source and delay are adjacent in memory (see
// bioneuro.devices.delay_sorted_order) the synaptic code then walks memory in order.
#ifndef BIONEURO_SPIKEQUEUE_H
#define BIONEURO_SPIKEQUEUE_H
#include<iostream>
#include<vector>
#include<map>
#include<iterator>
#include<algorithm>
#include"stdint_compat.h"
#include<assert.h>
using namespace std;

class CSpikeQueue
{
public:
    vector< vector<int32_t> > queue; // queue[(offset+i)%queue.size()] is delay i relative to current time
    double dt;
    int offset;
    bool scalar_delay;
    int *delays;
    int32_t source_start;
    int32_t source_end;
    int openmp_padding;
    // synapse indices grouped by source, then by delay step (ascending index within a group)
    vector<int32_t> sorted_synapses;
    // groups of source s: [source_groups[s], source_groups[s+1]); group g covers
    // sorted_synapses[group_begin[g], group_begin[g+1]) and has delay group_delay[g]
    vector<int32_t> source_groups;
    vector<int32_t> group_begin;
    vector<int32_t> group_delay;

    CSpikeQueue(int _source_start, int _source_end)
        : source_start(_source_start), source_end(_source_end)
    {
        queue.resize(1);
        offset = 0;
        dt = 0.0;
        delays = NULL;
        openmp_padding = 0;
        scalar_delay = 0;
    };

    ~CSpikeQueue()
    {
        if (delays)
        {
            delete[] delays;
            delays = NULL;
        }
    }

    template <typename scalar> void prepare(scalar *real_delays, int n_delays,
                 int32_t *sources, int n_synapses,
                 double _dt)
    {
        assert(n_delays == 1 || n_delays == n_synapses);
        if (delays)
            delete [] delays;

        if (dt != 0.0 && dt != _dt)
        {
            // dt changed: move queued spikes to their new buckets (as Brian2 does)
            vector< vector<int32_t> > queue_copy = queue;
            const double conversion_factor = dt / _dt;
            const size_t oldsize = queue.size();
            const size_t newsize = (int)(oldsize * conversion_factor) + 1;
            queue.clear();
            queue.resize(newsize);
            for (size_t i=0; i<oldsize; i++)
            {
                vector<int32_t> spikes = queue_copy[(i + offset) % oldsize];
                queue[(int)(i * conversion_factor + 0.5)] = spikes;
            }
            offset = 0;
        }

        delays = new int[n_delays > 0 ? n_delays : 1];
        delays[0] = 0;
        int max_delay = 0;
        int min_delay = 0;
        for (int i=0; i<n_delays; i++)
        {
            delays[i] = (int)(real_delays[i] / _dt + 0.5);
            if (i == 0 || delays[i] > max_delay)
                max_delay = delays[i];
            if (i == 0 || delays[i] < min_delay)
                min_delay = delays[i];
        }
        const int n_sources = source_end - source_start;
        const int n_steps = max_delay + 1;
        // counting sort by (source, delay step)
        vector<int32_t> counts((size_t)n_sources * n_steps + 1, 0);
        for (int s=0; s<n_synapses; s++)
        {
            const int d = n_delays == 1 ? delays[0] : (n_delays == 0 ? 0 : delays[s]);
            counts[(size_t)(sources[s] - source_start) * n_steps + d + 1]++;
        }
        for (size_t k=1; k<counts.size(); k++)
            counts[k] += counts[k-1];
        vector<int32_t> fill(counts.begin(), counts.end() - 1);
        sorted_synapses.assign(n_synapses, 0);
        for (int s=0; s<n_synapses; s++)
        {
            const int d = n_delays == 1 ? delays[0] : (n_delays == 0 ? 0 : delays[s]);
            sorted_synapses[fill[(size_t)(sources[s] - source_start) * n_steps + d]++] = s + openmp_padding;
        }
        source_groups.assign(n_sources + 1, 0);
        group_begin.clear();
        group_delay.clear();
        for (int src=0; src<n_sources; src++)
        {
            source_groups[src] = (int32_t)group_delay.size();
            for (int d=0; d<n_steps; d++)
            {
                const size_t k = (size_t)src * n_steps + d;
                if (counts[k + 1] > counts[k])
                {
                    group_begin.push_back(counts[k]);
                    group_delay.push_back(d);
                }
            }
        }
        source_groups[n_sources] = (int32_t)group_delay.size();
        group_begin.push_back(n_synapses);

        dt = _dt;
        ensure_delay(max_delay);
        scalar_delay = (min_delay == max_delay);
    }

    pair <int, vector< vector<int32_t> > > _full_state()
    {
        pair <int, vector< vector<int32_t> > > state(offset, queue);
        return state;
    }

    void _clear()
    {
    }

    void _restore_from_full_state(const pair <int, vector< vector<int32_t> > > state)
    {
        int stored_offset = state.first;
        vector< vector<int32_t> > stored_queue = state.second;
        size_t size = stored_queue.size();
        queue.clear();
        if (size == 0)
            size = 1;
        queue.resize(size);
        for (size_t i=0; i<stored_queue.size(); i++)
            queue[i] = stored_queue[i];
        offset = stored_offset;
    }

    void expand(size_t newsize)
    {
        const size_t n = queue.size();
        if (newsize <= n)
            return;
        rotate(queue.begin(), queue.begin()+offset, queue.end());
        offset = 0;
        queue.resize(newsize);
    };

    inline void ensure_delay(int delay)
    {
        if(delay >= (int)queue.size())
        {
            expand(delay+1);
        }
    };

    void push(int32_t *spikes, int nspikes)
    {
        if(nspikes==0) return;
        const int start = static_cast<int>(distance(spikes, lower_bound(spikes, spikes+nspikes, source_start)));
        const int stop = static_cast<int>(distance(spikes, upper_bound(spikes, spikes+nspikes, source_end-1)));
        const int n_buckets = (int)queue.size();
        const int32_t *all = sorted_synapses.empty() ? NULL : &sorted_synapses[0];
        for(int idx_spike=start; idx_spike<stop; idx_spike++)
        {
            const int src = spikes[idx_spike] - source_start;
            for(int g=source_groups[src]; g<source_groups[src+1]; g++)
            {
                int bucket = offset + group_delay[g];
                if (bucket >= n_buckets)
                    bucket -= n_buckets;
                vector<int32_t> &target = queue[bucket];
                target.insert(target.end(), all + group_begin[g], all + group_begin[g+1]);
            }
        }
    };

    inline vector<int32_t>* peek()
    {
        return &queue[offset];
    };

    void advance()
    {
        queue[offset].clear();
        offset = (offset+1)%queue.size();
    };
};
#endif
