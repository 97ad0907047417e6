# steer_module(NAME SOURCES... DEPS deps...)
# One static library per module, named steer_<NAME>, alias steer::<NAME>.
function(steer_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(steer_${name} STATIC ${M_SOURCES})
  add_library(steer::${name} ALIAS steer_${name})
  target_include_directories(steer_${name} PUBLIC ${CMAKE_SOURCE_DIR}/include
                                           PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(steer_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
endfunction()

# steer_test(NAME SOURCES... DEPS deps... LABELS label)
# One label per binary (unit, golden, slow or fuzz): a list would be split
# into property names by gtest_discover_tests.
# One GoogleTest binary per module. Tests get STEER_SHARED_DIR / STEER_SOURCE_DIR
# compiled in; STEER_SHARED at run time overrides the former.
function(steer_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} steer_testing GTest::gtest GTest::gtest_main)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
