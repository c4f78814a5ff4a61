{# bioneuro_standalone: the synaptic pathway for one thread (this device refuses OpenMP). Brian2's  #}
{# version gathers the per-thread queues into a fresh vector on every peek(), i.e. copies every     #}
{# arriving event once more per step; here the queue's own bucket is handed out.                   #}
{% macro cpp_file() %}
{% endmacro %}

{% macro h_file() %}

#ifndef _BRIAN_SYNAPSES_H
#define _BRIAN_SYNAPSES_H

#include<vector>
#include<algorithm>

#include "brianlib/spikequeue.h"

class SynapticPathway
{
public:
    int Nsource, Ntarget, _nb_threads;
    std::vector<int> &sources;
    std::vector< CSpikeQueue * > queue;  // one queue: this device runs on one thread
    SynapticPathway(std::vector<int> &_sources, int _spikes_start, int _spikes_stop)
        : sources(_sources)
    {
        _nb_threads = 1;
        queue.push_back(new CSpikeQueue(_spikes_start, _spikes_stop));
    };

    ~SynapticPathway()
    {
        delete queue[0];
    }

    void push(int *spikes, int nspikes)
    {
        queue[0]->push(spikes, nspikes);
    }

    void advance()
    {
        queue[0]->advance();
    }

    // the synapses whose (delayed) events arrive in this time step, valid until the next advance()
    vector<int32_t>* peek()
    {
        return queue[0]->peek();
    }

    template <typename scalar> void prepare(int n_source, int n_target, scalar *real_delays, int n_delays,
                 int *sources, int n_synapses, double _dt)
    {
        Nsource = n_source;
        Ntarget = n_target;
        queue[0]->openmp_padding = 0;
        if (n_delays > 1)
            queue[0]->prepare(&real_delays[0], n_synapses, &sources[0], n_synapses, _dt);
        else if (n_delays == 1)
            queue[0]->prepare(&real_delays[0], 1, &sources[0], n_synapses, _dt);
        else  // no synapses
            queue[0]->prepare((scalar *)NULL, 0, sources, n_synapses, _dt);
    }
};

#endif

{% endmacro %}
