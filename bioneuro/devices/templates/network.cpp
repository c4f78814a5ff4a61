{# bioneuro_standalone: the network's main loop. Brian2's loop rebuilds a std::set of the current  #}
{# clocks, looks every object's clock up in it and reads the process CPU clock (a system call) at  #}
{# every time step; this one keeps a clock index per object and a flag per clock, and reads the    #}
{# CPU clock only when a progress report is requested. Same order of execution, same semantics.   #}
{# It can also skip time steps in closed form (bioneuro.devices.fast_forward): at the end of a step #}
{# in which a model asks for n steps to be skipped and every "quiet" condition holds, it runs the   #}
{# model's closed-form operations (which apply the n steps' effect) and advances the clocks.       #}
{% macro cpp_file() %}

#include "network.h"
#include<stdlib.h>
#include<iostream>
#include<ctime>
#include<cmath>
#include<utility>

#define Clock_epsilon 1e-14

double Network::_last_run_time = 0.0;
double Network::_last_run_completed_fraction = 0.0;
bool Network::_globally_stopped = false;
bool Network::_globally_running = false;

Network::Network()
{
    t = 0.0;
}

void Network::clear()
{
    objects.clear();
    ff_request = NULL;
    ff_counter = NULL;
    ff_operations.clear();
    ff_quiet_values.clear();
    ff_quiet_flags.clear();
}

void Network::fast_forward(int32_t *request, int32_t *counter)
{
    ff_request = request;
    ff_counter = counter;
}

void Network::fast_forward_operation(codeobj_func func)
{
    ff_operations.push_back(func);
}

void Network::fast_forward_quiet(const double *values, size_t n, double bound)
{
    ff_quiet_values.push_back(FastForwardValues{values, n, bound});
}

void Network::fast_forward_quiet(const char *flags, size_t n)
{
    ff_quiet_flags.push_back(FastForwardFlags{flags, n});
}

// whether every registered value is within its bound and every registered flag is set
bool Network::fast_forward_allowed() const
{
    for(size_t k=0; k<ff_quiet_values.size(); k++)
    {
        const FastForwardValues &q = ff_quiet_values[k];
        for(size_t i=0; i<q.n; i++)
            if (!(fabs(q.values[i]) <= q.bound))  // NaN is never quiet
                return false;
    }
    for(size_t k=0; k<ff_quiet_flags.size(); k++)
    {
        const FastForwardFlags &q = ff_quiet_flags[k];
        for(size_t i=0; i<q.n; i++)
            if (!q.flags[i])
                return false;
    }
    return true;
}

void Network::add(Clock* clock, codeobj_func func)
{
    objects.push_back(std::make_pair(clock, func));
}

// Marks the clocks whose time equals the smallest time among all clocks; returns the first of them.
Clock* Network::select_current(std::vector<char> &current)
{
    Clock *earliest = NULL;
    for(size_t k=0; k<clock_list.size(); k++)
        if (earliest == NULL || clock_list[k]->t[0] < earliest->t[0])
            earliest = clock_list[k];
    if (earliest == NULL)
        return NULL;
    const double t_min = earliest->t[0];
    for(size_t k=0; k<clock_list.size(); k++)
    {
        const double s = clock_list[k]->t[0];
        current[k] = (s == t_min || fabs(s - t_min) <= Clock_epsilon) ? 1 : 0;
    }
    return earliest;
}

void Network::run(const double duration, void (*report_func)(const double, const double, const double, const double), const double report_period)
{
    const std::clock_t start = std::clock();
    const double t_start = t;
    const double t_end = t + duration;
    double next_report_time = report_period;

    // the distinct clocks, in order of first use, and the clock index of every object
    clock_list.clear();
    std::vector<size_t> object_clock(objects.size());
    for(size_t i=0; i<objects.size(); i++)
    {
        size_t k = 0;
        while (k < clock_list.size() && clock_list[k] != objects[i].first)
            k++;
        if (k == clock_list.size())
            clock_list.push_back(objects[i].first);
        object_clock[i] = k;
    }
    for(size_t k=0; k<clock_list.size(); k++)
        clock_list[k]->set_interval(t, t_end);

    if (report_func)
        report_func(0.0, 0.0, t_start, duration);

    // closed-form operations of the fast-forward run only when steps are skipped, on the clock that is
    // advanced (all of them share one)
    std::vector<char> gated(objects.size(), 0);
    size_t ff_clock_index = clock_list.size();  // none
    for(size_t i=0; i<objects.size(); i++)
        for(size_t j=0; j<ff_operations.size(); j++)
            if (objects[i].second == ff_operations[j])
            {
                if (ff_clock_index != clock_list.size() && ff_clock_index != object_clock[i])
                {
                    std::cerr << "bioneuro: the fast-forward operations must share one clock" << std::endl;
                    std::exit(4);
                }
                gated[i] = 1;
                ff_clock_index = object_clock[i];
            }
    if (ff_request != NULL && ff_clock_index == clock_list.size())
    {
        std::cerr << "bioneuro: fast-forward requested without closed-form operations in this run" << std::endl;
        std::exit(4);
    }
    Clock * const ff_clock = ff_clock_index < clock_list.size() ? clock_list[ff_clock_index] : NULL;

    std::vector<char> current(clock_list.size(), 0);
    Clock* clock = select_current(current);
    const size_t n_objects = objects.size();

    Network::_globally_running = true;
    Network::_globally_stopped = false;
    while(clock && clock->running() && !Network::_globally_stopped)
    {
        t = clock->t[0];
        for(size_t i=0; i<n_objects; i++)
        {
            if (current[object_clock[i]] && !gated[i])
            {
                codeobj_func func = objects[i].second;
                if (func)  // NULL for objects that only hold a clock
                    func();
            }
        }
        if (report_func)
        {
            const double elapsed = (double)(std::clock() - start) / CLOCKS_PER_SEC;
            if (elapsed > next_report_time)
            {
                report_func(elapsed, (clock->t[0] - t_start) / duration, t_start, duration);
                next_report_time += report_period;
            }
        }
        // fast-forward: asked for by the model (a positive request), on a step of the advanced clock, with
        // every quiet condition met; never beyond the end of the run
        int64_t skip = 0;
        if (ff_request != NULL && *ff_request > 0 && current[ff_clock_index])
        {
            const int64_t left = (int64_t)floor((t_end - ff_clock->t[0]) / ff_clock->dt[0] + 0.5) - 1;
            skip = *ff_request < left ? *ff_request : left;
            if (skip > 0 && !fast_forward_allowed())
                skip = 0;
            if (skip > 0)
            {
                *ff_request = (int32_t)skip;  // the operations apply what is skipped (less at the run's end)
                for(size_t i=0; i<n_objects; i++)
                    if (gated[i])
                        objects[i].second();
            }
        }
        for(size_t k=0; k<clock_list.size(); k++)
            if (current[k])
                clock_list[k]->tick();
        if (skip > 0)
        {
            // the advanced clock moves on by ``skip`` steps; every other clock to its first tick at or after
            // that time (the skipped steps run none of their objects)
            ff_clock->timestep[0] += skip;
            ff_clock->t[0] = ff_clock->timestep[0] * ff_clock->dt[0];
            const double target = ff_clock->t[0];
            for(size_t k=0; k<clock_list.size(); k++)
                if (clock_list[k] != ff_clock && clock_list[k]->t[0] < target
                    && fabs(clock_list[k]->t[0] - target) > Clock_epsilon)
                    clock_list[k]->set_interval(target, t_end);
            if (ff_counter != NULL)
                *ff_counter += (int32_t)skip;
        }
        clock = select_current(current);
    }
    Network::_globally_running = false;
    const double elapsed_realtime = (double)(std::clock() - start) / CLOCKS_PER_SEC;

    if(!Network::_globally_stopped)
        t = t_end;
    else
        t = clock->t[0];

    _last_run_time = elapsed_realtime;
    if(duration>0)
        _last_run_completed_fraction = (t-t_start)/duration;
    else
        _last_run_completed_fraction = 1.0;
    if (report_func)
        report_func(elapsed_realtime, _last_run_completed_fraction, t_start, duration);
}

{% endmacro %}

{% macro h_file() %}

#ifndef _BRIAN_NETWORK_H
#define _BRIAN_NETWORK_H

#include<vector>
#include<utility>
#include<cstdint>
#include "brianlib/clocks.h"

typedef void (*codeobj_func)();

struct FastForwardValues { const double *values; size_t n; double bound; };
struct FastForwardFlags { const char *flags; size_t n; };

class Network
{
    std::vector<Clock*> clock_list;
    Clock* select_current(std::vector<char> &current);
    int32_t *ff_request = NULL;
    int32_t *ff_counter = NULL;  // optional: accumulates the skipped steps
    std::vector<codeobj_func> ff_operations;
    std::vector<FastForwardValues> ff_quiet_values;
    std::vector<FastForwardFlags> ff_quiet_flags;
    bool fast_forward_allowed() const;
public:
    std::vector< std::pair< Clock*, codeobj_func > > objects;
    double t;
    static double _last_run_time;
    static double _last_run_completed_fraction;
    static bool _globally_stopped;
    static bool _globally_running;

    Network();
    void clear();
    void add(Clock *clock, codeobj_func func);
    void fast_forward(int32_t *request, int32_t *counter);
    void fast_forward_operation(codeobj_func func);
    void fast_forward_quiet(const double *values, size_t n, double bound);
    void fast_forward_quiet(const char *flags, size_t n);
    void run(const double duration, void (*report_func)(const double, const double, const double, const double), const double report_period);
};

#endif

{% endmacro %}
