{# bioneuro_standalone: threshold of a group whose neurons fire at time steps known in advance.           #}
{# Contract (checked by bioneuro.devices.use_calendar_threshold): the group has an integer state variable #}
{# ``next_step`` and a shared integer ``last_step``, its threshold is equivalent to                      #}
{#     next_step <= clip(timestep(t, dt), -1, last_step)                                                  #}
{# and, within a run, ``next_step`` changes only in the reset of the neurons that fired, or in the same   #}
{# step as ``last_step`` changes. Instead of comparing every neuron at every step, the neurons are filed  #}
{# in a ring of per-step buckets (intrusive lists) and a step pops its bucket; the neurons that fired in  #}
{# the previous step (whose reset drew a new next_step) are filed again. The calendar is rebuilt from the #}
{# whole group at the first step of a run, when last_step changes, and after a gap in the steps (Brian2  #}
{# generates new code objects for each run; the after-run reset also covers a code object run twice).    #}
{# Events are written in ascending order, as Brian2's threshold writes them.                              #}
{# USES_VARIABLES { N, next_step, last_step, t, dt } #}
{% extends 'common_group.cpp' %}
{% block extra_headers %}
#include<algorithm>
#include<cstdint>
#include<vector>
// 0 after each run (set by the after-run code): the first step of a run rebuilds the calendar
int32_t _bioneuro_calendar_valid_{{codeobj_name}} = 0;
{% endblock %}

{% block maincode %}
    {% if _uses_refractory %}
    #error "calendar_threshold: the group must not be refractory"
    {% endif %}
    //// MAIN CODE ////////////
    // scalar code (the condition's hoisted terms; the calendar does not evaluate the condition)
    const int _vectorisation_idx = -1;
    {{scalar_code|autoindent}}

    {% set _eventspace = get_array_name(eventspace_variable) %}
    static std::vector<int32_t> _bioneuro_head;  // first neuron filed under each bucket (-1: empty)
    static std::vector<int32_t> _bioneuro_link;  // next neuron in the same bucket
    static int64_t _bioneuro_built_last = 0;     // last_step when the calendar was built
    static int64_t _bioneuro_horizon = 0;        // last step the ring covers (later steps: next rebuild)
    static int64_t _bioneuro_prev_step = 0;      // step of the previous call
    const size_t _bioneuro_max_span = {{_bioneuro_max_span}};  // ring size limit (a power of two)
    const double _bioneuro_dt = {{dt}};
    const int64_t _bioneuro_step = (int64_t)(({{t}} + 1e-3*_bioneuro_dt)/_bioneuro_dt);  // Brian2's timestep()
    const int64_t _bioneuro_last = {{last_step}};
    // the condition's right-hand side: clip(step, -1, last_step) (step >= 0)
    const int64_t _bioneuro_now = _bioneuro_step < _bioneuro_last ? _bioneuro_step : _bioneuro_last;
    const size_t _bioneuro_n = (size_t)N;
    const int32_t * const _bioneuro_next = {{next_step}};
    int32_t * const _bioneuro_events = {{_eventspace}};
    const bool _bioneuro_rebuild = !_bioneuro_calendar_valid_{{codeobj_name}} || _bioneuro_last != _bioneuro_built_last
        || _bioneuro_step != _bioneuro_prev_step + 1 || _bioneuro_step > _bioneuro_horizon;
    if (_bioneuro_rebuild)
    {
        // buckets for the steps step+1 .. min(last_step, horizon) without two of them sharing a slot; a
        // neuron due after the horizon is filed by the rebuild at the step after the horizon
        size_t _span = 1;
        bool _capped = false;
        while ((int64_t)_span <= _bioneuro_last - _bioneuro_step + 1)
        {
            if (_span >= _bioneuro_max_span)
            {
                _capped = true;
                break;
            }
            _span <<= 1;
        }
        // uncapped, the ring holds every step up to last_step; after it nothing fires until last_step changes
        _bioneuro_horizon = _capped ? _bioneuro_step + (int64_t)_span - 1 : INT64_MAX;
        _bioneuro_head.assign(_span, -1);
        _bioneuro_link.assign(_bioneuro_n, -1);
        _bioneuro_built_last = _bioneuro_last;
        _bioneuro_calendar_valid_{{codeobj_name}} = 1;
    }
    const size_t _mask = _bioneuro_head.size() - 1;
    const int64_t _filed = _bioneuro_last < _bioneuro_horizon ? _bioneuro_last : _bioneuro_horizon;
    long _count = 0;
    // a neuron due now becomes an event; one due later (up to the ring's last step) is filed under its step.
    // Events are written at or before the position the previous step's events are read from (in place).
    auto _fire_or_file = [&](const int32_t _idx)
    {
        const int64_t _k = _bioneuro_next[_idx];
        if (_k <= _bioneuro_now)
            _bioneuro_events[_count++] = _idx;
        else if (_k <= _filed)
        {
            const size_t _b = (size_t)_k & _mask;
            _bioneuro_link[_idx] = _bioneuro_head[_b];
            _bioneuro_head[_b] = _idx;
        }
    };
    if (_bioneuro_rebuild)
    {
        for (size_t _idx = 0; _idx < _bioneuro_n; _idx++)  // ascending: events need no sorting
            _fire_or_file((int32_t)_idx);
    }
    else
    {
        // the neurons that fired in the previous step have a new next_step (drawn in their reset)
        const long _previous = _bioneuro_events[_bioneuro_n];
        for (long _s = 0; _s < _previous; _s++)
            _fire_or_file(_bioneuro_events[_s]);
        if (_bioneuro_step <= _bioneuro_last)
        {
            // this step's bucket (under the contract all of its neurons are due now; any other is filed again)
            const size_t _b = (size_t)_bioneuro_step & _mask;
            int32_t _idx = _bioneuro_head[_b];
            _bioneuro_head[_b] = -1;
            while (_idx >= 0)
            {
                const int32_t _following = _bioneuro_link[_idx];
                _fire_or_file(_idx);
                _idx = _following;
            }
        }
        std::sort(_bioneuro_events, _bioneuro_events + _count);
    }
    _bioneuro_prev_step = _bioneuro_step;
    _bioneuro_events[_bioneuro_n] = _count;
{% endblock %}

{% block after_code %}
{% set _eventspace = get_array_name(eventspace_variable) %}
{{_eventspace}}[N] = 0;  // the event space has N+1 elements: the last one counts the events
{
    extern int32_t _bioneuro_calendar_valid_{{codeobj_name}};
    _bioneuro_calendar_valid_{{codeobj_name}} = 0;
}
{% endblock %}
