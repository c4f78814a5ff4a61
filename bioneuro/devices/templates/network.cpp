{# bioneuro_standalone: the network's main loop. Brian2's loop rebuilds a std::set of the current  #}
{# clocks, looks every object's clock up in it and reads the process CPU clock (a system call) at  #}
{# every time step; this one keeps a clock index per object and a flag per clock, and reads the    #}
{# CPU clock only when a progress report is requested. Same order of execution, same semantics.   #}
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
            if (current[object_clock[i]])
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
        for(size_t k=0; k<clock_list.size(); k++)
            if (current[k])
                clock_list[k]->tick();
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
#include "brianlib/clocks.h"

typedef void (*codeobj_func)();

class Network
{
    std::vector<Clock*> clock_list;
    Clock* select_current(std::vector<char> &current);
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
    void run(const double duration, void (*report_func)(const double, const double, const double, const double), const double report_period);
};

#endif

{% endmacro %}
