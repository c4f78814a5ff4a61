{# bioneuro_standalone: Brian2's threshold code object, evaluated in blocks of 64 neurons.        #}
{# The conditions of a block are computed in a loop without stores to the event space (which    #}
{# the compiler can vectorise), then the condition buffer is scanned eight bytes at a time, so   #}
{# that a silent block costs a few word tests instead of 64 branches.                            #}
{# USES_VARIABLES { N } #}
{% extends 'common_group.cpp' %}
{% block maincode %}
    //// MAIN CODE ////////////
    // scalar code
    const int _vectorisation_idx = -1;
    {{scalar_code|autoindent}}

    {% set _eventspace = get_array_name(eventspace_variable) %}

    long _count = 0;
    char _bioneuro_conditions[64];
    for(size_t _block_start=0; _block_start<(size_t)N; _block_start+=64)
    {
        const size_t _block_stop = (_block_start + 64 < (size_t)N) ? _block_start + 64 : (size_t)N;
        for(size_t _idx=_block_start; _idx<_block_stop; _idx++)
        {
            const size_t _vectorisation_idx = _idx;
            {{vector_code|autoindent}}
            _bioneuro_conditions[_idx - _block_start] = _cond ? 1 : 0;
        }
        for(size_t _k=_block_stop - _block_start; _k<64; _k++)
            _bioneuro_conditions[_k] = 0;
        for(size_t _word_start=0; _word_start<64; _word_start+=8)
        {
            uint64_t _word;
            memcpy(&_word, _bioneuro_conditions + _word_start, 8);
            if (_word == 0)
                continue;
            for(size_t _k=_word_start; _k<_word_start + 8; _k++)
            {
                if (_bioneuro_conditions[_k])
                {
                    const size_t _idx = _block_start + _k;
                    {{_eventspace}}[_count++] = _idx;
                    {% if _uses_refractory %}
                    {{not_refractory}}[_idx] = false;
                    {{lastspike}}[_idx] = {{t}};
                    {% endif %}
                }
            }
        }
    }
    {{_eventspace}}[N] = _count;
{% endblock %}

{% block extra_headers %}
#include<cstring>
{% endblock %}

{% block after_code %}
{% set _eventspace = get_array_name(eventspace_variable) %}
{{_eventspace}}[N] = 0;  // the event space has N+1 elements: the last one counts the events
{% endblock %}
